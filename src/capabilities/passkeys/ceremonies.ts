import { randomBytes } from "node:crypto";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { PasskeyRefusal } from "../../core/events.js";
import { hashToken } from "../../core/token.js";
import type { User } from "../../core/user.js";
import type { PasskeySettings } from "./settings.js";
import type { ChallengePurpose, PasskeyStore, StoredChallenge, StoredPasskey } from "./store.js";

/** How long a ceremony's challenge lives: the time to find the device and touch it. */
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;

/** COSE algorithms offered and accepted: EdDSA, ES256, RS256 (what authenticators make). */
const ALGORITHMS = [-8, -7, -257];

/** A ceremony's verdict: what it proved, or why it was refused. */
export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: PasskeyRefusal };

/** What a registration proved: the new credential, as it is to be stored. */
export type NewCredential = Pick<
  StoredPasskey,
  | "credentialId"
  | "publicKey"
  | "counter"
  | "transports"
  | "userHandle"
  | "backupEligible"
  | "backedUp"
  | "aaguid"
>;

/** What an assertion proved about the use of a stored passkey. */
export interface Assertion {
  counter: number;
  userVerified: boolean;
  backedUp: boolean;
}

/** Which challenges an assertion may answer. */
export type ChallengeRule = (challenge: StoredChallenge) => boolean;

/**
 * The two WebAuthn ceremonies over @simplewebauthn/server: options with a
 * fresh challenge (random, 5 minutes, stored only as its SHA-256), and
 * verification of the browser's answer, which takes the challenge once,
 * whatever the verdict. Origins and RP ID come from configuration, never
 * from the request.
 */
export class Ceremonies {
  readonly #settings: PasskeySettings;
  readonly #store: PasskeyStore;
  readonly #now: () => Date;

  constructor(settings: PasskeySettings, store: PasskeyStore, now: () => Date) {
    this.#settings = settings;
    this.#store = store;
    this.#now = now;
  }

  /** Options to make a discoverable credential for the user, none of `existing` again. */
  async creationOptions(
    user: User,
    existing: readonly StoredPasskey[],
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.#settings.rpName,
      rpID: this.#settings.rpId,
      userName: user.email,
      userID: userHandleOf(user),
      challenge: await this.#newChallenge("registration", user.id),
      timeout: CHALLENGE_LIFETIME_MS,
      attestationType: "none",
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports,
      })),
      authenticatorSelection: {
        residentKey: "required",
        requireResidentKey: true,
        userVerification: "preferred",
      },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** Verifies a registration answer for the user (its challenge must be one made for them). */
  async verifyCreation(
    user: User,
    response: RegistrationResponseJSON,
  ): Promise<Verdict<NewCredential>> {
    const challenge = this.#challengeTaker(
      (taken) => taken.purpose === "registration" && taken.userId === user.id,
    );
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.take,
        expectedOrigin: [...this.#settings.origins()],
        expectedRPID: this.#settings.rpId,
        // Preferred, not required: without it, the passkey is a second factor only.
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS,
      });
      if (!result.verified) return refused("invalid_response");
      const info = result.registrationInfo;
      return {
        ok: true,
        value: {
          credentialId: info.credential.id,
          publicKey: info.credential.publicKey,
          counter: info.credential.counter,
          transports: info.credential.transports ?? response.response.transports ?? [],
          userHandle: Buffer.from(userHandleOf(user)).toString("base64url"),
          backupEligible: info.credentialDeviceType === "multiDevice",
          backedUp: info.credentialBackedUp,
          aaguid: info.aaguid,
        },
      };
    } catch {
      return refused(challenge.refused ? "unknown_challenge" : "invalid_response");
    }
  }

  /**
   * Options to sign in (no user: empty allowCredentials, the authenticator
   * offers its discoverable passkeys) or to prove a second factor of `user`
   * (allowCredentials: their passkeys).
   */
  async requestOptions(
    user: { id: number; passkeys: readonly StoredPasskey[] } | null,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const purpose = user ? "factor" : "sign_in";
    return generateAuthenticationOptions({
      rpID: this.#settings.rpId,
      challenge: await this.#newChallenge(purpose, user?.id ?? null),
      timeout: CHALLENGE_LIFETIME_MS,
      userVerification: "preferred",
      allowCredentials: (user?.passkeys ?? []).map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports,
      })),
    });
  }

  /**
   * Verifies an assertion of a stored passkey, answering a challenge that
   * `rule` accepts. The signature counter is compared here, after the
   * signature holds: a counter that did not grow (while either is not 0) is
   * then a copied authenticator, not a forged answer.
   */
  async verifyAssertion(
    passkey: StoredPasskey,
    response: AuthenticationResponseJSON,
    rule: ChallengeRule,
  ): Promise<Verdict<Assertion>> {
    const { userHandle } = response.response;
    if (userHandle !== undefined && userHandle !== passkey.userHandle)
      return refused("invalid_response");
    const challenge = this.#challengeTaker(rule);
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.take,
        expectedOrigin: [...this.#settings.origins()],
        expectedRPID: this.#settings.rpId,
        // Counter 0: the library's own comparison runs before the signature is
        // checked; ours (below) runs after it, so a refusal means a real copy.
        credential: {
          id: passkey.credentialId,
          publicKey: passkey.publicKey,
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: false,
      });
      if (!result.verified) return refused("invalid_response");
      const { newCounter, userVerified, credentialBackedUp } = result.authenticationInfo;
      if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter)
        return refused("counter_regression");
      return {
        ok: true,
        value: { counter: newCounter, userVerified, backedUp: credentialBackedUp },
      };
    } catch {
      return refused(challenge.refused ? "unknown_challenge" : "invalid_response");
    }
  }

  /** A new random challenge for `purpose`, stored as its hash; its bytes for the options. */
  async #newChallenge(
    purpose: ChallengePurpose,
    userId: number | null,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = randomBytes(32);
    const now = this.#now();
    await this.#store.insertChallenge({
      challengeHash: hashToken(bytes.toString("base64url")),
      purpose,
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_MS),
    });
    return new Uint8Array(bytes);
  }

  /**
   * The library's expectedChallenge: takes the answer's challenge from the
   * store (a challenge is used once, whatever follows) and accepts it when
   * it was live and `rule` holds. `refused` tells afterwards that it did not.
   */
  #challengeTaker(rule: ChallengeRule): {
    take: (challenge: string) => Promise<boolean>;
    readonly refused: boolean;
  } {
    let refusedChallenge = false;
    return {
      take: async (challenge) => {
        const taken =
          challenge.length <= 128
            ? await this.#store.takeChallenge(hashToken(challenge), this.#now())
            : null;
        refusedChallenge = taken === null || !rule(taken);
        return !refusedChallenge;
      },
      get refused() {
        return refusedChallenge;
      },
    };
  }
}

function refused<T>(reason: PasskeyRefusal): Verdict<T> {
  return { ok: false, reason };
}

/**
 * The WebAuthn user handle of a user: 16 bytes derived from their id and
 * creation time. The same for all their passkeys (an authenticator then
 * keeps one passkey per account), not their email, not their sequential id.
 */
export function userHandleOf(user: Pick<User, "id" | "createdAt">): Uint8Array<ArrayBuffer> {
  const digest = hashToken(`webauthn-user:${user.id}:${user.createdAt.getTime()}`);
  return new Uint8Array(Buffer.from(digest.slice(0, 32), "hex"));
}
