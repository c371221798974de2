import type { Kysely } from "kysely";
import { toDate } from "../../core/store/row-mapping.js";
import { type TakeBackStep, takeBack } from "../../core/store/take-back.js";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Database } from "../../platform/db/schema.js";
import { withinTransaction } from "../../platform/db/transaction.js";
import type { Transaction } from "../../platform/db/transaction-handle.js";
import type { StoredResetToken } from "./reset-token.js";
import type { ResetTokenStore } from "./store.js";

// The statements of the reset tokens (see ResetTokenStore for what each
// promises). The writes take `trx`: the store runs them in one transaction.

async function addResetToken(
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

async function findResetToken(
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

async function completePasswordReset(
  trx: Kysely<Database>,
  tokenHash: string,
  userId: number,
  hashedPassword: string,
  now: Date,
  steps: readonly TakeBackStep[],
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
  await takeBack(trx, userId, steps);
  return true;
}

/** Reset tokens in password_reset_tokens, by the SHA-256 of each token. */
export class KyselyResetTokenStore implements ResetTokenStore {
  readonly #db: Kysely<Database>;
  readonly #takeBack: readonly TakeBackStep[];

  /** `takeBack`: what completing a reset also voids, in its transaction. */
  constructor(db: Kysely<Database>, takeBack: readonly TakeBackStep[] = []) {
    this.#db = db;
    this.#takeBack = takeBack;
  }

  addResetToken(
    userId: number,
    tokenHash: string,
    createdAt: Date,
    expiresAt: Date,
    maxLive: number,
    mailed = false,
    tx?: Transaction,
  ): Promise<void> {
    return withinTransaction(this.#db, tx, (trx) =>
      addResetToken(trx, userId, tokenHash, createdAt, expiresAt, maxLive, mailed),
    );
  }

  findResetToken(tokenHash: string): Promise<StoredResetToken | null> {
    return findResetToken(this.#db, tokenHash);
  }

  completePasswordReset(
    tokenHash: string,
    userId: number,
    hashedPassword: string,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean> {
    return withinTransaction(this.#db, tx, (trx) =>
      completePasswordReset(trx, tokenHash, userId, hashedPassword, now, this.#takeBack),
    );
  }

  async purgeExpiredResetTokens(now: Date): Promise<void> {
    await this.#db
      .deleteFrom("password_reset_tokens")
      .where("expires_at", "<=", now.getTime())
      .execute();
  }
}
