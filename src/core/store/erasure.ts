import { type Kysely, sql } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import { deleteQueuedMailTo } from "../../platform/mail/kysely-outbox-store.js";
import { mailboxKey } from "../mail-request-limit.js";
import { normalizeEmail } from "../user.js";
import { lockUserRow } from "./user-row-lock.js";

/** Whose data an erasure removes. */
export interface ErasedUser {
  id: number;
  email: string;
}

/**
 * A step every erasure of an account runs in its transaction: a capability
 * that keeps rows about a user outside the tables that reference `users`
 * (those go with the user row, ON DELETE CASCADE) removes them here, as the
 * audit trail does its rows.
 */
export type ErasureStep = (trx: Kysely<Database>, user: ErasedUser) => Promise<void>;

/**
 * Everything the core keeps of the user, in the caller's transaction: the
 * user row (its sessions, reset tokens, factors, email tokens and login
 * challenges cascade with it), the account's login failures and its mail
 * still waiting in the outbox, then each capability's erasure steps.
 * False when there was no such user.
 */
export async function eraseUser(
  trx: Kysely<Database>,
  user: ErasedUser,
  steps: readonly ErasureStep[],
): Promise<boolean> {
  if (!(await lockUserRow(trx, user.id))) return false;
  for (const step of steps) await step(trx, user);
  await deleteCountersOf(trx, user.email);
  // The account's own request counters (mail-request-limit.ts: "change-user:<id>").
  await trx.deleteFrom("login_throttle").where("key", "like", `%-user:${user.id}`).execute();
  await deleteQueuedMailTo(trx, user.email);
  const deleted = await trx.deleteFrom("users").where("id", "=", user.id).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

/**
 * The login failures and request counters kept under an address (throttle.ts,
 * mail-request-limit.ts): "<kind>:<address>" and "<kind>:<client>|<address>",
 * the address normalized or as its mailbox. An erasure step of a capability
 * that kept other addresses of the user (a pending change's) calls it too.
 */
export async function deleteCountersOf(trx: Kysely<Database>, address: string): Promise<void> {
  const forms = [...new Set([normalizeEmail(address), mailboxKey(address)])];
  await trx
    .deleteFrom("login_throttle")
    .where((eb) =>
      eb.or(
        forms.flatMap((form) => [
          sql<boolean>`${sql.ref("key")} LIKE ${`%:${escapeLike(form)}`} ESCAPE '\\'`,
          sql<boolean>`${sql.ref("key")} LIKE ${`%|${escapeLike(form)}`} ESCAPE '\\'`,
        ]),
      ),
    )
    .execute();
}

function escapeLike(text: string): string {
  return text.replaceAll(/[\\%_]/g, (char) => `\\${char}`);
}
