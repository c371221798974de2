import type { Kysely } from "kysely";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Database } from "../../platform/db/schema.js";

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

/**
 * Ends the user's sessions (all, or all but `keepSessionId`) as a take-back:
 * the user row locked first, and pending email changes void with them.
 * How many sessions ended.
 */
export async function endSessionsOfUser(
  trx: Kysely<Database>,
  userId: number,
  keepSessionId?: number,
): Promise<number> {
  await lockUserRow(trx, userId);
  let ended = trx.deleteFrom("sessions").where("user_id", "=", userId);
  if (keepSessionId !== undefined) ended = ended.where("id", "!=", keepSessionId);
  const result = await ended.executeTakeFirst();
  await voidPendingEmailChanges(trx, userId);
  return Number(result.numDeletedRows);
}
