import { generateSecret, generateSync, generateURI, NobleCryptoPlugin, verifySync } from "otplib";

/**
 * TOTP (RFC 6238) with the parameters every authenticator app reads from an
 * `otpauth://` URI without being told: HMAC-SHA-1, 6 digits, 30-second steps.
 * The arithmetic is otplib's; this module fixes the parameters, the drift
 * window and the replay rule, so no other file spells them.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** One step either side: a phone clock up to ~30 s off still works, nothing wider. */
const DRIFT_STEPS = 1;
/** 20 bytes (160 bits): RFC 4226's recommended secret length, the size of a SHA-1 block key. */
const SECRET_BYTES = 20;

const crypto = new NobleCryptoPlugin();

/** A new random secret in base32, as authenticator apps take it. */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES, crypto });
}

/** The URI a QR code carries: `otpauth://totp/<issuer>:<account>?secret=...&issuer=...`. */
export function totpUri(secret: string, options: { issuer: string; account: string }): string {
  return generateURI({
    issuer: options.issuer,
    label: options.account,
    secret,
    algorithm: "sha1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** The code for `secret` (base32, or the raw key bytes) at a time; `digits` is 6 but for test vectors. */
export function totpCode(
  secret: string | Uint8Array,
  at: Date,
  digits: 6 | 8 = TOTP_DIGITS,
): string {
  return generateSync({
    secret,
    crypto,
    algorithm: "sha1",
    digits,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(at.getTime() / 1000),
  });
}

/** The RFC 6238 time step a moment falls in. */
export function timeStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The time step a code belongs to when it is right for `secret` at `at`
 * within one step of drift, or null. With `afterStep`, a code of that step or
 * an earlier one is refused (RFC 6238 section 5.2: a code works once); the
 * caller stores the returned step as the account's new `afterStep`.
 */
export function matchTotp(
  secret: string,
  code: string,
  at: Date,
  afterStep: number | null,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    crypto,
    algorithm: "sha1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(at.getTime() / 1000),
    epochTolerance: DRIFT_STEPS * TOTP_PERIOD_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}
