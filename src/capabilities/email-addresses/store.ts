import type { Transaction } from "../../core/unit-of-work.js";

/** What an email token proves: the user's address, or a change to a new one. */
export type EmailTokenPurpose = "verify" | "change";

export interface StoredEmailToken {
  id: number;
  userId: number;
  purpose: EmailTokenPurpose;
  /** The address it proves, as typed. */
  email: string;
  emailNormalized: string;
  /** For a change: the session that asked, which stays when the change ends the others. */
  sessionPublicId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface NewEmailToken {
  userId: number;
  purpose: EmailTokenPurpose;
  email: string;
  tokenHash: string;
  sessionPublicId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Persistence of verification and email-change tokens (src/db/kysely-email-token-store.ts).
 * A write that takes `tx` runs in that transaction (a UnitOfWork's, which
 * commits it with its audit row, webhook rows and mail); without one, in its own.
 */
export interface EmailTokenStore {
  /**
   * Stores a token and voids the older ones it replaces: for "verify", the
   * user's expired ones and the oldest beyond a few live ones (earlier links
   * keep working); for "change", every earlier change of the user (one
   * pending change at a time). Returns its id.
   */
  insertEmailToken(token: NewEmailToken, tx?: Transaction): Promise<number>;
  /**
   * Gives a stored token a new secret (its hash) and lifetime, for the mail
   * that carries it, made only when the mail is sent; null when it is gone.
   */
  reissueEmailToken(
    id: number,
    tokenHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<StoredEmailToken | null>;
  findEmailToken(tokenHash: string): Promise<StoredEmailToken | null>;
  /** The user's tokens still live at `now` (for the user's own export), newest first. */
  liveEmailTokensOfUser(userId: number, now: Date): Promise<StoredEmailToken[]>;
  /** When the newest token of this kind for this user and address was made; null when none lives. */
  latestEmailToken(
    userId: number,
    purpose: EmailTokenPurpose,
    emailNormalized: string,
    now: Date,
  ): Promise<Date | null>;
  /**
   * In one transaction (`tx` when given): consume a live "verify" token and
   * mark the user's address verified, if it is still the address the token
   * was made for; the user's other verification tokens then go.
   * Null when the token is unknown or expired (nothing written), or when the
   * address changed since (the token, useless, is consumed: the caller
   * commits that too).
   */
  consumeVerification(
    tokenHash: string,
    now: Date,
    tx?: Transaction,
  ): Promise<{ userId: number; email: string } | null>;
  /**
   * In one transaction (`tx` when given): consume a live "change" token
   * (asked from a session: only while that session lives), set the user's
   * email to its address (verified), end the user's sessions but the one
   * that asked, and void the user's reset and email tokens and the logins
   * waiting for their second step. Null when the token could not be
   * consumed (one whose session has ended is deleted: the caller commits that).
   * @throws UserAlreadyExistsError when another account has the address by
   *   now (nothing is written; the token stays). In `tx`, the caller's
   *   transaction must then roll back: PostgreSQL has aborted it.
   */
  consumeEmailChange(
    tokenHash: string,
    now: Date,
    /** The asking session must have been seen after this (the idle timeout). */
    idleCutoff: Date,
    tx?: Transaction,
  ): Promise<{ userId: number; oldEmail: string; newEmail: string } | null>;
  /** Marks the user's address verified now; false when no user has this id. */
  markEmailVerified(userId: number, now: Date, tx?: Transaction): Promise<boolean>;
  purgeExpiredEmailTokens(now: Date): Promise<void>;
}

/** The writes of EmailTokenStore that change a user or end sessions: a session cache empties around them. */
export const EMAIL_TOKEN_WRITES_CHANGING_SESSIONS: ReadonlySet<string> = new Set([
  "consumeVerification",
  "consumeEmailChange",
  "markEmailVerified",
]);
