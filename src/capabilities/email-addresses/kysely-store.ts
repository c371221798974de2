import { type Kysely, type Selectable, sql } from "kysely";
import { UserAlreadyExistsError } from "../../core/errors.js";
import { isUniqueViolation, toDate } from "../../core/store/row-mapping.js";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Transaction } from "../../core/unit-of-work.js";
import { normalizeEmail } from "../../core/user.js";
import type { Database, EmailTokensTable } from "../../platform/db/schema.js";
import { executorOf, withinTransaction } from "../../platform/db/transaction.js";
import type {
  EmailTokenPurpose,
  EmailTokenStore,
  NewEmailToken,
  StoredEmailToken,
} from "./store.js";

/**
 * Verification links of one user that work at once. A new request keeps the
 * earlier links (someone asking for a victim's new link must not void the one
 * in the victim's mailbox), up to this many: as many as the default limit of
 * requests per address allows in its window, as for reset links. Any
 * completed verification voids the rest.
 */
export const LIVE_VERIFY_TOKENS = 10;

/** Verification and email-change tokens, in email_tokens. */
export class KyselyEmailTokenStore implements EmailTokenStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  insertEmailToken(token: NewEmailToken, tx?: Transaction): Promise<number> {
    const emailNormalized = normalizeEmail(token.email);
    return withinTransaction(this.#db, tx, async (trx) => {
      if (token.purpose === "change") {
        await trx
          .deleteFrom("email_tokens")
          .where("user_id", "=", token.userId)
          .where("purpose", "=", "change")
          .execute();
      } else {
        await voidVerificationsBeyond(trx, token.userId, token.createdAt, LIVE_VERIFY_TOKENS - 1);
      }
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

  async liveEmailTokensOfUser(userId: number, now: Date): Promise<StoredEmailToken[]> {
    const rows = await this.#db
      .selectFrom("email_tokens")
      .selectAll()
      .where("user_id", "=", userId)
      .where("expires_at", ">", now.getTime())
      .orderBy("created_at", "desc")
      .execute();
    return rows.map(toStoredEmailToken);
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
    tx?: Transaction,
  ): Promise<{ userId: number; email: string } | null> {
    return withinTransaction(this.#db, tx, async (trx) => {
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
      if (!user) return null;
      // Proven: the user's other verification links have nothing left to do.
      await trx
        .deleteFrom("email_tokens")
        .where("user_id", "=", token.user_id)
        .where("purpose", "=", "verify")
        .execute();
      return { userId: Number(user.id), email: user.email };
    });
  }

  async consumeEmailChange(
    tokenHash: string,
    now: Date,
    idleCutoff: Date,
    tx?: Transaction,
  ): Promise<{ userId: number; oldEmail: string; newEmail: string } | null> {
    try {
      return await withinTransaction(this.#db, tx, async (trx) => {
        const found = await trx
          .selectFrom("email_tokens")
          .select("user_id")
          .where("token_hash", "=", tokenHash)
          .executeTakeFirst();
        if (!found) return null;
        const userId = Number(found.user_id);
        // The user row first, as every write that takes an account back does.
        if (!(await lockUserRow(trx, userId))) return null;
        const token = await trx
          .deleteFrom("email_tokens")
          .where("token_hash", "=", tokenHash)
          .where("purpose", "=", "change")
          .where("expires_at", ">", now.getTime())
          .returningAll()
          .executeTakeFirst();
        if (!token) return null;
        // A change asked from a session holds only while that session lives
        // (not ended, not past its lifetime or idle timeout): once it is
        // ended, its pending change dies with it. The no-op UPDATE holds the
        // session row, so a logout racing this waits for it or wins whole.
        if (token.session_public_id !== null) {
          const asker = await trx
            .updateTable("sessions")
            .set({ last_seen_at: sql<number>`last_seen_at` })
            .where("user_id", "=", userId)
            .where("public_id", "=", token.session_public_id)
            .where("expires_at", ">", now.getTime())
            .where("last_seen_at", ">", idleCutoff.getTime())
            .executeTakeFirst();
          if (asker.numUpdatedRows === 0n) return null;
        }
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

  async markEmailVerified(userId: number, now: Date, tx?: Transaction): Promise<boolean> {
    const result = await executorOf(this.#db, tx)
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

/** Deletes the user's expired verification tokens, and the oldest live ones beyond `keep`. */
async function voidVerificationsBeyond(
  trx: Kysely<Database>,
  userId: number,
  now: Date,
  keep: number,
): Promise<void> {
  const mine = trx
    .deleteFrom("email_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "=", "verify");
  await mine.where("expires_at", "<=", now.getTime()).execute();
  const live = await trx
    .selectFrom("email_tokens")
    .select("id")
    .where("user_id", "=", userId)
    .where("purpose", "=", "verify")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  const beyond = live.slice(keep).map((row) => Number(row.id));
  if (beyond.length > 0) await trx.deleteFrom("email_tokens").where("id", "in", beyond).execute();
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
