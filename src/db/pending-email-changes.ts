import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Voids the user's email changes still waiting for their link. Every write
 * that takes an account back from whoever else may hold it (a password reset
 * or change, sessions ended, a second factor turned off) calls it in its own
 * transaction: otherwise an intruder who asked for a change to their own
 * address could confirm it after the owner's reset and take the account over.
 */
export async function voidPendingEmailChanges(db: Kysely<Database>, userId: number): Promise<void> {
  await db
    .deleteFrom("email_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "=", "change")
    .execute();
}
