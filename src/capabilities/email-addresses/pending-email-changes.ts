import type { Kysely } from "kysely";
import { deleteCountersOf, type ErasureStep } from "../../core/store/erasure.js";
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

/**
 * Part of an account's erasure (core/store/erasure.ts): the request counters
 * kept under the addresses of its links (a change's new address); the links
 * themselves go with the user row.
 */
export const eraseLinkAddresses: ErasureStep = async (db, user) => {
  const rows = await db
    .selectFrom("email_tokens")
    .select("email")
    .distinct()
    .where("user_id", "=", user.id)
    .execute();
  for (const { email } of rows) await deleteCountersOf(db, email);
};
