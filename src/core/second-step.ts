import type { SecondFactorMethod } from "./events.js";
import type { LoginWay, SessionClient } from "./session.js";
import type { Change } from "./unit-of-work.js";
import type { User } from "./user.js";

/**
 * What proves a second factor: a typed code (TOTP or recovery code), or what
 * another kind of factor checks (a passkey assertion, as an object or its
 * JSON text).
 */
export type SecondFactorProof = string | object;

/**
 * What the core asks of an account's second factors, at a login's second
 * step and before a sensitive change. The core knows no factor: the
 * capabilities that provide one (TOTP and recovery codes today) answer.
 */
export interface SecondFactorGate {
  /** True when a login or a sensitive change of this user needs a second factor. */
  isOn(userId: number): Promise<boolean>;
  /** Checks a proof without using it up; null when it is wrong (or not of a kind this gate knows). */
  check(userId: number, proof: SecondFactorProof): Promise<AcceptedCode | null>;
  /** How many unused recovery codes the user has (told after one is used). */
  recoveryCodesLeft(userId: number): Promise<number>;
  /** What an operator sees of this kind on the account (the admin API's user object): its own fields. */
  describe?(userId: number): Promise<SecondFactorFacts>;
  /**
   * An operator takes this kind off the account (a user who lost every
   * device): deleted in the change's transaction, with its events and
   * notice. True when the account had one.
   */
  removeByOperator?(
    user: Pick<User, "id" | "email">,
    change: Change,
    client: SessionClient,
  ): Promise<boolean>;
}

/** Facts about an account's second factors, named by the kinds (`totp`, `passkeys` ...): never a secret. */
export type SecondFactorFacts = Readonly<Record<string, boolean | number>>;

/** A code that passed: which kind, and the use to record once it is accepted. */
export interface AcceptedCode {
  method: SecondFactorMethod;
  /** Records the use; false when a concurrent request used the code (or step) first. */
  spend(): Promise<boolean>;
}

/** Before any session opens: an address that must be verified is (EMAIL_VERIFICATION). */
export interface VerificationGate {
  /** @throws EmailNotVerifiedError when the address must be verified first. */
  assertVerified(user: User, client: SessionClient): Promise<void>;
}

/** The second step of one login, by the SHA-256 of its mfa_token. */
export interface StoredMfaChallenge {
  userId: number;
  expiresAt: Date;
  failures: number;
  /** How the password step came in; null when it was not said (the library, older rows). */
  firstStep: LoginWay | null;
}

/** Logins waiting for their second step (the mfa_challenges table). */
export interface MfaChallengeStore {
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
