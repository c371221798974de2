import type { Transaction } from "../../platform/db/transaction-handle.js";
import type { RecoveryCodeHashes } from "./recovery-codes.js";

/** A user's TOTP factor as stored: the secret only sealed (SecretBox). */
export interface StoredTotpFactor {
  userId: number;
  secretSealed: string;
  /** Null while set up but not yet confirmed with a code: login ignores it. */
  enabledAt: Date | null;
  /** The RFC 6238 time step of the last code accepted; codes of it or earlier are refused. */
  lastUsedStep: number | null;
}

export interface StoredRecoveryCode {
  id: number;
  salt: string;
  hash: string;
}

/**
 * Persistence of second factors (kysely-store.ts). A write that takes `tx` runs in that transaction (a
 * UnitOfWork's, which commits it with its audit row and mail); without one,
 * in its own.
 */
export interface SecondFactorStore {
  findTotpFactor(userId: number): Promise<StoredTotpFactor | null>;
  /** Stores a secret awaiting confirmation, replacing an earlier one; false (nothing written) when a factor is on. */
  savePendingTotpFactor(userId: number, secretSealed: string, now: Date): Promise<boolean>;
  /**
   * In one transaction (`tx` when given): turn the pending factor on, with the step of the code
   * that confirmed it as used, and store the recovery codes in place of any.
   * False, with nothing written, when there was no pending factor, or its
   * secret is no longer `secretSealed` (a new setup replaced the one the
   * code was checked against).
   */
  enableTotpFactor(
    userId: number,
    secretSealed: string,
    usedStep: number,
    codes: RecoveryCodeHashes,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean>;
  /** Records `step` as used when every earlier use was of an earlier step; false otherwise (a replay). */
  useTotpStep(userId: number, step: number): Promise<boolean>;
  /**
   * Deletes the factor (a pending one too), the recovery codes and the login
   * challenges of the user, and voids pending email changes; false when no
   * factor was on (what was there is deleted all the same).
   */
  deleteSecondFactor(userId: number, tx?: Transaction): Promise<boolean>;
  /** Replaces the recovery codes of a user whose factor is on; false (nothing written) otherwise. */
  replaceRecoveryCodes(
    userId: number,
    codes: RecoveryCodeHashes,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean>;
  unusedRecoveryCodes(userId: number): Promise<StoredRecoveryCode[]>;
  /** Marks the code used; false when it was used (or deleted) already. */
  useRecoveryCode(id: number, now: Date): Promise<boolean>;
}
