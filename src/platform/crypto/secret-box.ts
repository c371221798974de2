import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** Raised for a SECRET_KEY that is neither 64 hex characters nor 32+ bytes of base64. */
export class SecretKeyFormatError extends Error {
  constructor() {
    super(
      "SECRET_KEY must be 64 hex characters or at least 32 random bytes in base64 (e.g. the output of `openssl rand -hex 32`)",
    );
    this.name = "SecretKeyFormatError";
  }
}

/** Raised when a sealed value was altered, is malformed, or was sealed under another key. */
export class SecretBoxOpenError extends Error {
  constructor() {
    super("sealed secret could not be opened: wrong SECRET_KEY, or the stored value was altered");
    this.name = "SecretBoxOpenError";
  }
}

/**
 * The key bytes of a SECRET_KEY: 64 hex characters (32 bytes), or base64 /
 * base64url of at least 32 bytes.
 * @throws SecretKeyFormatError
 */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  // Hex of another length is a mistyped hex key, not base64 (which random
  // bytes never spell in hex digits alone).
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) && !/^[0-9a-fA-F]+$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (bytes.length >= 32) return bytes;
  }
  throw new SecretKeyFormatError();
}

/** 32 random bytes as 64 hex characters: a new SECRET_KEY. */
export function generateSecretKey(): string {
  return randomBytes(32).toString("hex");
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts secrets the server must read back (webhook signing secrets, TOTP
 * secrets) with AES-256-GCM under one key. A sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, with a random 12-byte IV each
 * time. The AES key is derived from SECRET_KEY with HKDF-SHA256, so a longer
 * base64 key is used whole. `context` (e.g. "webhook-secret") is bound as
 * associated data: a value sealed for one purpose does not open as another.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #root: Buffer;

  constructor(secretKey: Uint8Array) {
    if (secretKey.length < 32) throw new SecretKeyFormatError();
    this.#root = Buffer.from(secretKey);
    this.#key = Buffer.from(hkdfSync("sha256", secretKey, "", "auth-service secret-box v1", 32));
  }

  /** A key for another purpose (cookie signing), derived from SECRET_KEY with HKDF-SHA256 under `purpose`. */
  deriveKey(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync("sha256", this.#root, "", `auth-service ${purpose}`, length));
  }

  seal(plaintext: string | Uint8Array, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([
      cipher.update(typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext),
      cipher.final(),
    ]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, ciphertext]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** @throws SecretBoxOpenError when the value was altered or sealed under another key or context. */
  open(sealed: string, context: string): Buffer {
    const [version, iv, tag, ciphertext, extra] = sealed.split(".");
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined)
      throw new SecretBoxOpenError();
    if (extra !== undefined) throw new SecretBoxOpenError();
    const ivBytes = Buffer.from(iv, "base64url");
    const tagBytes = Buffer.from(tag, "base64url");
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES)
      throw new SecretBoxOpenError();
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, ivBytes, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]);
    } catch {
      throw new SecretBoxOpenError();
    }
  }
}

/** The message of production's refusal to run without a key. */
export const SECRET_KEY_REQUIRED =
  "SECRET_KEY is required in production: 64 hex characters or 32+ random bytes in base64 (e.g. `openssl rand -hex 32`); it encrypts the secrets the service reads back (TOTP secrets, webhook signing secrets)";
