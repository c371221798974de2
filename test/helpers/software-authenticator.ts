import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A passkey authenticator in software, for tests that need no browser: it
 * makes ES256 credentials with node:crypto and answers options as a browser
 * with an authenticator would (authenticator data, clientDataJSON, "none"
 * attestation, signatures). CBOR comes from @simplewebauthn/server's own
 * encoder; nothing here is used by the service. Each answer can be bent
 * (another origin, RP ID, counter, no user verification) to test refusals.
 */

interface Credential {
  id: string;
  privateKey: KeyObject;
  publicKeyCose: Uint8Array;
  userHandle: string;
  rpId: string;
  counter: number;
}

export interface AnswerOptions {
  /** The page's origin as the browser reports it (default: the authenticator's). */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data (default: the options'). */
  rpId?: string;
  /** The UV flag (default: the authenticator's). */
  userVerified?: boolean;
  /** The signature counter to report instead of the next one. */
  counter?: number;
  /** Answer with this credential (default: the first the options allow, or the first made). */
  credentialId?: string;
  /** Answer this challenge instead of the options' (base64url). */
  challenge?: string;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export class SoftwareAuthenticator {
  readonly origin: string;
  readonly #userVerified: boolean;
  /** 0: an authenticator that keeps no counter (as synced passkeys do). */
  readonly #counterStep: number;
  readonly #credentials = new Map<string, Credential>();

  constructor(options: { origin: string; userVerified?: boolean; counterStep?: number }) {
    this.origin = options.origin;
    this.#userVerified = options.userVerified ?? true;
    this.#counterStep = options.counterStep ?? 1;
  }

  /** The ids of the credentials it holds, in the order they were made. */
  get credentialIds(): string[] {
    return [...this.#credentials.keys()];
  }

  /** The signature counter a credential is at. */
  counterOf(credentialId: string): number {
    return this.#credentials.get(credentialId)?.counter ?? 0;
  }

  /** Makes a new credential for `options` (navigator.credentials.create). */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    bend: AnswerOptions = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const publicKeyCose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x ?? "", "base64url")],
        [-3, Buffer.from(jwk.y ?? "", "base64url")],
      ]),
    );
    const idBytes = randomBytes(16);
    const credential: Credential = {
      id: idBytes.toString("base64url"),
      privateKey,
      publicKeyCose,
      userHandle: options.user.id,
      rpId,
      counter: 0,
    };
    this.#credentials.set(credential.id, credential);
    const attested = Buffer.concat([
      Buffer.alloc(16), // AAGUID: none
      u16(idBytes.length),
      idBytes,
      publicKeyCose,
    ]);
    const authData = Buffer.concat([
      this.#authDataHead(bend.rpId ?? rpId, this.#flags(bend) | FLAG_AT, 0),
      attested,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", authData],
      ]),
    );
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON: this.#clientData("webauthn.create", options.challenge, bend),
        attestationObject: Buffer.from(attestationObject).toString("base64url"),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** Signs an assertion for `options` (navigator.credentials.get). */
  assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    bend: AnswerOptions = {},
  ): AuthenticationResponseJSON {
    const allowed = (options.allowCredentials ?? []).map((descriptor) => descriptor.id);
    const id =
      bend.credentialId ??
      allowed.find((candidate) => this.#credentials.has(candidate)) ??
      this.credentialIds[0];
    const credential = id ? this.#credentials.get(id) : undefined;
    if (!credential) throw new Error("the software authenticator holds no credential for this");
    credential.counter = bend.counter ?? credential.counter + this.#counterStep;
    const rpId = bend.rpId ?? options.rpId ?? credential.rpId;
    const authData = this.#authDataHead(rpId, this.#flags(bend), credential.counter);
    const clientDataJSON = this.#clientData("webauthn.get", options.challenge, bend);
    const signed = Buffer.concat([
      authData,
      createHash("sha256").update(Buffer.from(clientDataJSON, "base64url")).digest(),
    ]);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON,
        authenticatorData: authData.toString("base64url"),
        signature: sign("sha256", signed, credential.privateKey).toString("base64url"),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  #flags(bend: AnswerOptions): number {
    const userVerified = bend.userVerified ?? this.#userVerified;
    return FLAG_UP | (userVerified ? FLAG_UV : 0) | FLAG_BE | FLAG_BS;
  }

  #authDataHead(rpId: string, flags: number, counter: number): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([
      createHash("sha256").update(rpId).digest(),
      Buffer.from([flags]),
      counterBytes,
    ]);
  }

  #clientData(type: string, challenge: string, bend: AnswerOptions): string {
    const data = {
      type,
      challenge: bend.challenge ?? challenge,
      origin: bend.origin ?? this.origin,
      crossOrigin: false,
    };
    return Buffer.from(JSON.stringify(data)).toString("base64url");
  }
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}
