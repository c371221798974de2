import type { Kysely } from "kysely";
import { toDate } from "../../core/store/row-mapping.js";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Database } from "../../platform/db/schema.js";
import { voidPendingEmailChanges } from "../email-addresses/pending-email-changes.js";
import type { StoredResetToken } from "./reset-token.js";

// The password-reset statements of KyselyStore (see AuthStore for what each
// promises), kept apart so the store's file stays one screenful per concern.
// The writes take `trx`: the caller runs them in one transaction.

export async function addResetToken(
  trx: Kysely<Database>,
  userId: number,
  tokenHash: string,
  createdAt: Date,
  expiresAt: Date,
  maxLive: number,
  mailed = false,
): Promise<void> {
  await trx
    .insertInto("password_reset_tokens")
    .values({
      user_id: userId,
      token_hash: tokenHash,
      created_at: createdAt.getTime(),
      expires_at: expiresAt.getTime(),
      mailed: mailed ? 1 : 0,
    })
    .execute();
  const live = await trx
    .selectFrom("password_reset_tokens")
    .select("id")
    .where("user_id", "=", userId)
    .where("expires_at", ">", createdAt.getTime())
    .orderBy("id", "desc")
    .execute();
  const voided = live.slice(maxLive).map((row) => row.id);
  await trx
    .deleteFrom("password_reset_tokens")
    .where("user_id", "=", userId)
    .where((eb) =>
      voided.length > 0
        ? eb.or([eb("expires_at", "<=", createdAt.getTime()), eb("id", "in", voided)])
        : eb("expires_at", "<=", createdAt.getTime()),
    )
    .execute();
}

export async function findResetToken(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<StoredResetToken | null> {
  const row = await db
    .selectFrom("password_reset_tokens")
    .innerJoin("users", "users.id", "password_reset_tokens.user_id")
    .select([
      "password_reset_tokens.user_id",
      "password_reset_tokens.expires_at",
      "users.email_normalized",
    ])
    .where("password_reset_tokens.token_hash", "=", tokenHash)
    .executeTakeFirst();
  if (!row) return null;
  return {
    userId: Number(row.user_id),
    emailNormalized: row.email_normalized,
    expiresAt: toDate(row.expires_at),
  };
}

export async function completePasswordReset(
  trx: Kysely<Database>,
  tokenHash: string,
  userId: number,
  hashedPassword: string,
  now: Date,
): Promise<boolean> {
  await lockUserRow(trx, userId);
  // Deleting the row is the claim: of two concurrent resets, one deletes it.
  const consumed = await trx
    .deleteFrom("password_reset_tokens")
    .where("token_hash", "=", tokenHash)
    .where("user_id", "=", userId)
    .where("expires_at", ">", now.getTime())
    .returning("mailed")
    .executeTakeFirst();
  if (!consumed) return false;
  await trx.deleteFrom("password_reset_tokens").where("user_id", "=", userId).execute();
  // A token that went out by mail was read in that mailbox: the address is proven.
  const proven = Number(consumed.mailed) === 1 ? { email_verified_at: now.getTime() } : {};
  await trx
    .updateTable("users")
    .set({ hashed_password: hashedPassword, updated_at: now.getTime(), ...proven })
    .where("id", "=", userId)
    .execute();
  await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
  await trx.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
  await voidPendingEmailChanges(trx, userId);
  return true;
}
