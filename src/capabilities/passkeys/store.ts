import type { Transaction } from "../../core/unit-of-work.js";
import type { UserRecord } from "../../core/user.js";

/** A user's passkey as stored: its public key and counter, never a private key. */
export interface StoredPasskey {
  /** Internal row id (never shown). */
  rowId: number;
  /** A random identifier safe to show and to put in a URL. */
  id: string;
  userId: number;
  /** The WebAuthn credential id, base64url. */
  credentialId: string;
  /** The COSE public key. */
  publicKey: Uint8Array<ArrayBuffer>;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  /** How the browser may reach the authenticator ("internal", "hybrid", "usb", ...). */
  transports: string[];
  /** The WebAuthn user handle the credential was made for, base64url. */
  userHandle: string;
  /** The credential may be synced to other devices (a multi-device passkey). */
  backupEligible: boolean;
  /** It is backed up (synced) now, as its last use said. */
  backedUp: boolean;
  /** The authenticator's model (AAGUID); all zeros when it says none. */
  aaguid: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<StoredPasskey, "rowId" | "lastUsedAt">;

/** What a ceremony's challenge was made for. */
export type ChallengePurpose =
  /** Adding a passkey to the signed-in user. */
  | "registration"
  /** Signing in with a passkey and no password (any user's). */
  | "sign_in"
  /** A passkey as the second factor of this user: a login's second step or a sensitive change. */
  | "factor";

export interface StoredChallenge {
  purpose: ChallengePurpose;
  userId: number | null;
}

/** Persistence of passkeys and of their ceremonies' challenges (kysely-passkey-store.ts). */
export interface PasskeyStore {
  /** False, with nothing written, when the credential id is registered already. */
  insertPasskey(passkey: NewPasskey, tx?: Transaction): Promise<boolean>;
  findByCredentialId(credentialId: string): Promise<StoredPasskey | null>;
  /** The passkey of this credential id and its user, in one read (a sign-in needs both). */
  findWithUser(credentialId: string): Promise<{ passkey: StoredPasskey; user: UserRecord } | null>;
  /** One of the user's passkeys by its public id. */
  findOfUser(userId: number, id: string): Promise<StoredPasskey | null>;
  /** The user's passkeys, oldest first. */
  listOfUser(userId: number): Promise<StoredPasskey[]>;
  countOfUser(userId: number): Promise<number>;
  /**
   * Records a use: the new counter, the backup state and the time, only if
   * the stored counter is still `previousCounter` (compare and set). False
   * when another use came first.
   */
  recordUse(
    rowId: number,
    previousCounter: number,
    use: { counter: number; backedUp: boolean; at: Date },
    tx?: Transaction,
  ): Promise<boolean>;
  /** False when the user has no passkey with this id. */
  rename(userId: number, id: string, name: string): Promise<boolean>;
  /** False when the user has no passkey with this id. */
  deletePasskey(userId: number, id: string, tx?: Transaction): Promise<boolean>;
  /** Deletes every passkey of the user (an operator's reset); how many there were. */
  deleteAllOfUser(userId: number, tx?: Transaction): Promise<number>;

  insertChallenge(challenge: {
    challengeHash: string;
    purpose: ChallengePurpose;
    userId: number | null;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void>;
  /**
   * Deletes the challenge and returns what it was for, when it is still live
   * at `now`; null otherwise. Of two uses at once, one gets it.
   */
  takeChallenge(challengeHash: string, now: Date): Promise<StoredChallenge | null>;
  purgeExpiredChallenges(now: Date): Promise<void>;
}
