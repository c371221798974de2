import type { Kysely, Selectable } from "kysely";
import type {
  EmailTokenPurpose,
  EmailTokenStore,
  NewEmailToken,
  StoredEmailToken,
} from "../auth/email-token-store.js";
import { UserAlreadyExistsError } from "../auth/errors.js";
import type { Transaction } from "../auth/unit-of-work.js";
import { normalizeEmail } from "../auth/user.js";
import { isUniqueViolation, toDate } from "./row-mapping.js";
import type { Database, EmailTokensTable } from "./schema.js";
import { withinTransaction } from "./transaction.js";

/** Verification and email-change tokens, in email_tokens. */
export class KyselyEmailTokenStore implements EmailTokenStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  insertEmailToken(token: NewEmailToken, tx?: Transaction): Promise<number> {
    const emailNormalized = normalizeEmail(token.email);
    return withinTransaction(this.#db, tx, async (trx) => {
      let voided = trx
        .deleteFrom("email_tokens")
        .where("user_id", "=", token.userId)
        .where("purpose", "=", token.purpose);
      if (token.purpose === "verify")
        voided = voided.where("email_normalized", "=", emailNormalized);
      await voided.execute();
      const row = await trx
        .insertInto("email_tokens")
        .values({
          user_id: token.userId,
          purpose: token.purpose,
          email: token.email,
          email_normalized: emailNormalized,
          token_hash: token.tokenHash,
          session_public_id: token.sessionPublicId,
          created_at: token.createdAt.getTime(),
          expires_at: token.expiresAt.getTime(),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(row.id);
    });
  }

  async reissueEmailToken(
    id: number,
    tokenHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<StoredEmailToken | null> {
    const row = await this.#db
      .updateTable("email_tokens")
      .set({ token_hash: tokenHash, created_at: now.getTime(), expires_at: expiresAt.getTime() })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row ? toStoredEmailToken(row) : null;
  }

  async findEmailToken(tokenHash: string): Promise<StoredEmailToken | null> {
    const row = await this.#db
      .selectFrom("email_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? toStoredEmailToken(row) : null;
  }

  async latestEmailToken(
    userId: number,
    purpose: EmailTokenPurpose,
    emailNormalized: string,
    now: Date,
  ): Promise<Date | null> {
    const row = await this.#db
      .selectFrom("email_tokens")
      .select((eb) => eb.fn.max("created_at").as("latest"))
      .where("user_id", "=", userId)
      .where("purpose", "=", purpose)
      .where("email_normalized", "=", emailNormalized)
      .where("expires_at", ">", now.getTime())
      .executeTakeFirst();
    return row?.latest == null ? null : toDate(row.latest);
  }

  consumeVerification(
    tokenHash: string,
    now: Date,
  ): Promise<{ userId: number; email: string } | null> {
    return this.#db.transaction().execute(async (trx) => {
      const token = await trx
        .deleteFrom("email_tokens")
        .where("token_hash", "=", tokenHash)
        .where("purpose", "=", "verify")
        .where("expires_at", ">", now.getTime())
        .returning(["user_id", "email_normalized"])
        .executeTakeFirst();
      if (!token) return null;
      // Only while the address is the one the link was mailed to.
      const user = await trx
        .updateTable("users")
        .set({ email_verified_at: now.getTime() })
        .where("id", "=", token.user_id)
        .where("email_normalized", "=", token.email_normalized)
        .returning(["id", "email"])
        .executeTakeFirst();
      return user ? { userId: Number(user.id), email: user.email } : null;
    });
  }

  async consumeEmailChange(
    tokenHash: string,
    now: Date,
  ): Promise<{ userId: number; oldEmail: string; newEmail: string } | null> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const token = await trx
          .deleteFrom("email_tokens")
          .where("token_hash", "=", tokenHash)
          .where("purpose", "=", "change")
          .where("expires_at", ">", now.getTime())
          .returningAll()
          .executeTakeFirst();
        if (!token) return null;
        const userId = Number(token.user_id);
        const before = await trx
          .selectFrom("users")
          .select("email")
          .where("id", "=", userId)
          .executeTakeFirst();
        if (!before) return null;
        // The unique index decides a race between two changes to one address.
        await trx
          .updateTable("users")
          .set({
            email: token.email,
            email_normalized: token.email_normalized,
            email_verified_at: now.getTime(),
            updated_at: now.getTime(),
          })
          .where("id", "=", userId)
          .execute();
        let ended = trx.deleteFrom("sessions").where("user_id", "=", userId);
        if (token.session_public_id !== null)
          ended = ended.where("public_id", "!=", token.session_public_id);
        await ended.execute();
        await trx.deleteFrom("password_reset_tokens").where("user_id", "=", userId).execute();
        await trx.deleteFrom("email_tokens").where("user_id", "=", userId).execute();
        // A login waiting for its second step ends with the other sessions.
        await trx.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
        return { userId, oldEmail: before.email, newEmail: token.email };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UserAlreadyExistsError("");
      throw error;
    }
  }

  async markEmailVerified(userId: number, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable("users")
      .set({ email_verified_at: now.getTime() })
      .where("id", "=", userId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async purgeExpiredEmailTokens(now: Date): Promise<void> {
    await this.#db.deleteFrom("email_tokens").where("expires_at", "<=", now.getTime()).execute();
  }
}

function toStoredEmailToken(row: Selectable<EmailTokensTable>): StoredEmailToken {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    purpose: row.purpose === "change" ? "change" : "verify",
    email: row.email,
    emailNormalized: row.email_normalized,
    sessionPublicId: row.session_public_id,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}
