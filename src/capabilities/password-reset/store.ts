import type { Transaction } from "../../platform/db/transaction-handle.js";
import type { StoredResetToken } from "./reset-token.js";

/**
 * Persistence of reset tokens (kysely-store.ts). A write that takes `tx`
 * runs in that transaction (a UnitOfWork's, which commits it with its audit
 * row and mail); without one, in its own.
 */
export interface ResetTokenStore {
  /**
   * Stores a new reset token beside the user's live ones, deleting their
   * expired ones, and the oldest beyond `maxLive` (counting the new one).
   */
  addResetToken(
    userId: number,
    tokenHash: string,
    createdAt: Date,
    expiresAt: Date,
    maxLive: number,
    /** The token goes out by mail: completing the reset then marks the address verified. */
    mailed?: boolean,
    tx?: Transaction,
  ): Promise<void>;
  findResetToken(tokenHash: string): Promise<StoredResetToken | null>;
  /**
   * In one transaction: consume the token (it must still exist, belong to the
   * user and not be expired at `now`), void the user's other reset tokens,
   * store the new hash, end every session of the user, void logins waiting
   * for their second step, run the take-back steps, and mark the address
   * verified when the token was mailed. False, with nothing written, when the token could not be consumed.
   */
  completePasswordReset(
    tokenHash: string,
    userId: number,
    hashedPassword: string,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean>;

  /** Deletes tokens past their expiry. */
  purgeExpiredResetTokens(now: Date): Promise<void>;
}

/** The writes of ResetTokenStore that change a user or end sessions: a session cache empties around them. */
export const RESET_TOKEN_WRITES_CHANGING_SESSIONS: ReadonlySet<string> = new Set([
  "completePasswordReset",
]);
