import type { RecoveryCodeHashes } from "./recovery-codes.js";
import type { LoginWay } from "./session.js";
import type { Transaction } from "./transaction.js";

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

/** The second step of one login, by the SHA-256 of its mfa_token. */
export interface StoredMfaChallenge {
  userId: number;
  expiresAt: Date;
  failures: number;
  /** How the password step came in; null when it was not said (the library, older rows). */
  firstStep: LoginWay | null;
}

/**
 * Persistence of second factors and login challenges (src/db/kysely-mfa-store.ts).
 * A write that takes `tx` runs in that transaction (a UnitOfWork's, which
 * commits it with its audit row and mail); without one, in its own.
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

  insertMfaChallenge(challenge: {
    tokenHash: string;
    userId: number;
    createdAt: Date;
    expiresAt: Date;
    firstStep: LoginWay | null;
  }): Promise<void>;
  /**
   * Counts one attempt against a live challenge before its code is checked,
   * in one statement: of attempts sent at once, at most `maxAttempts` get
   * through. Null when the challenge is unknown, expired or used up.
   */
  reserveMfaAttempt(
    tokenHash: string,
    now: Date,
    maxAttempts: number,
  ): Promise<StoredMfaChallenge | null>;
  /** True when this call deleted it: a challenge is finished once. */
  deleteMfaChallenge(tokenHash: string): Promise<boolean>;
  /** Deletes challenges past their expiry. */
  purgeExpiredMfaChallenges(now: Date): Promise<void>;
}
