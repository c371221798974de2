import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import { lockUserRow } from "./user-row-lock.js";

/**
 * A step every write that takes an account back from whoever else may hold
 * it (a password reset or change, sessions ended, a second factor turned
 * off) runs in its own transaction, for the user. The capabilities that keep
 * something an intruder could finish later give one: the email addresses
 * void pending changes, or an intruder who asked for a change to their own
 * address could confirm it after the owner's reset and take the account over.
 */
export type TakeBackStep = (trx: Kysely<Database>, userId: number) => Promise<void>;

/** Runs each take-back step for the user, in the caller's transaction. */
export async function takeBack(
  trx: Kysely<Database>,
  userId: number,
  steps: readonly TakeBackStep[],
): Promise<void> {
  for (const step of steps) await step(trx, userId);
}

/**
 * Ends the user's sessions (all, or all but `keepSessionId`) as a take-back:
 * the user row locked first, and the take-back steps with them. How many
 * sessions ended.
 */
export async function endSessionsOfUser(
  trx: Kysely<Database>,
  userId: number,
  steps: readonly TakeBackStep[],
  keepSessionId?: number,
): Promise<number> {
  await lockUserRow(trx, userId);
  let ended = trx.deleteFrom("sessions").where("user_id", "=", userId);
  if (keepSessionId !== undefined) ended = ended.where("id", "!=", keepSessionId);
  const result = await ended.executeTakeFirst();
  await takeBack(trx, userId, steps);
  return Number(result.numDeletedRows);
}
