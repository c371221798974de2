import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

/** How many codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Crockford's base32 alphabet in lower case: no i, l, o or u, so nothing
 * reads as another character, and what is typed is folded back (see
 * normalizeRecoveryCode). 10 characters of it are 50 bits.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_LENGTH = 10;

/** Ten new codes, shown as `xxxxx-xxxxx`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = "";
    for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/**
 * A code as typed, reduced to its 10 characters: case, spaces and dashes do
 * not matter, and the letters Crockford's alphabet leaves out read as the
 * digits they look like. Null when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(typed: string): string | null {
  const folded = typed.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1").replace(/o/g, "0");
  if (folded.length !== CODE_LENGTH) return null;
  for (const character of folded) if (!ALPHABET.includes(character)) return null;
  return folded;
}

/**
 * Recovery codes are hashed with scrypt (a password hash) under a random salt
 * per batch, as ASVS 5.0 6.5.2 asks of lookup secrets under 112 bits: 50
 * bits behind SHA-256 would fall to a GPU in a day, behind scrypt they do not.
 * One salt for the ten codes of a batch keeps a check at one scrypt whatever
 * the number of codes: the typed code is hashed once and compared with each.
 * The cost (N = 2^14, 16 MiB, ~40 ms here) is paid only by someone holding
 * an mfa_token, that is, the right password.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;

export interface RecoveryCodeHashes {
  /** base64url, shared by the batch. */
  salt: string;
  /** One base64url hash per code, in the codes' order. */
  hashes: string[];
}

export async function hashRecoveryCodes(codes: readonly string[]): Promise<RecoveryCodeHashes> {
  const salt = randomBytes(16).toString("base64url");
  const hashes = await Promise.all(
    codes.map(async (code) => {
      const normalized = normalizeRecoveryCode(code);
      if (normalized === null) throw new RangeError("not a recovery code");
      return (await derive(normalized, salt)).toString("base64url");
    }),
  );
  return { salt, hashes };
}

/** The index in `stored` of the hash this typed code has under `salt`, or -1. */
export async function findRecoveryCode(
  typed: string,
  salt: string,
  stored: readonly string[],
): Promise<number> {
  const normalized = normalizeRecoveryCode(typed);
  if (normalized === null || stored.length === 0) return -1;
  const hash = await derive(normalized, salt);
  let found = -1;
  // Every stored hash is compared, whichever matches, in constant time each.
  stored.forEach((candidate, index) => {
    const bytes = Buffer.from(candidate, "base64url");
    if (bytes.length === hash.length && timingSafeEqual(bytes, hash)) found = index;
  });
  return found;
}

function derive(normalized: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(normalized, salt, KEY_BYTES, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
