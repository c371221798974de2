import type { Kysely } from "kysely";
import type { TakeBackStep } from "../../core/store/take-back.js";
import type { Database } from "../../platform/db/schema.js";

/**
 * Voids the user's email changes still waiting for their link: the email
 * addresses' take-back step (core/store/take-back.ts), run in the
 * transaction of every write that takes an account back; otherwise an
 * intruder who asked for a change to their own address could confirm it
 * after the owner's reset and take the account over.
 */
export const voidPendingEmailChanges: TakeBackStep = async (
  db: Kysely<Database>,
  userId: number,
) => {
  await db
    .deleteFrom("email_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "=", "change")
    .execute();
};
