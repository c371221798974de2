import { type Kysely, sql } from "kysely";
import type { Database } from "../../platform/db/schema.js";

/**
 * Takes the user's row lock as a transaction's first write. Every write that
 * decides who holds an account (a reset, a password change, sessions ended,
 * the factor turned off, an email change confirmed) touches the user row,
 * sessions, reset and email tokens; on PostgreSQL, two of them taking those
 * rows in different orders deadlocked (a 500, and sometimes the owner's act
 * was the one rolled back). Locking the user row first makes them wait for
 * each other instead. SQLite lets one writer in at a time anyway.
 *
 * An UPDATE that changes nothing is the portable lock (SELECT ... FOR UPDATE
 * is not SQLite syntax). False when there is no such user.
 */
export async function lockUserRow(db: Kysely<Database>, userId: number): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ updated_at: sql<number>`updated_at` })
    .where("id", "=", userId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
