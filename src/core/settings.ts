import { availableParallelism } from "node:os";

/** The password hashing algorithms the service can write. Both can always be verified. */
export type PasswordHashAlgorithm = "bcrypt" | "argon2id";

export type AuthMode = "development" | "production";

/** Everything the domain can be tuned with. Durations are in milliseconds. */
export interface AuthSettings {
  mode: AuthMode;
  passwordHash: PasswordHashAlgorithm;
  /** bcrypt work factor (4..31); 12 as in the original service. */
  bcryptCost: number;
  /** argon2id memory in KiB and passes: OWASP's m=19456, t=2, p=1 by default. */
  argon2MemoryCost: number;
  argon2TimeCost: number;
  passwordMinLength: number;
  /** In characters; bcrypt is also held to 72 UTF-8 bytes, never truncated. */
  passwordMaxLength: number;
  /** Refuse the ~49,000 most common passwords and ones made of the account's email. */
  passwordBlocklist: boolean;
  /** A session ends this long after login, however active it is. */
  sessionAbsoluteLifetime: number;
  /** A session ends after this long without a request. */
  sessionIdleTimeout: number;
  /** A session's last-seen time is written at most this often, so reads rarely write. */
  sessionRenewInterval: number;
  resetTokenLifetime: number;
  /** Consecutive failed logins of one account from one address before that pair is locked (0: never). */
  loginMaxFailures: number;
  /** Consecutive failed logins of one account from all addresses before it is locked (0: never). */
  loginAccountMaxFailures: number;
  /** An account's failures are forgotten this long after its first one. */
  loginFailureWindow: number;
  /** First lock length; each further failure doubles it, up to loginLockoutMax. */
  loginLockoutBase: number;
  loginLockoutMax: number;
  /** Failed logins from one address within loginIpWindow before it is locked (0: never). */
  loginIpMaxFailures: number;
  loginIpWindow: number;
  /** Password hashes computed at once (each holds a core); more wait in a queue. */
  maxConcurrentHashes: number;
  /** Hashes that may wait for a slot; past that, logins get 503 at once. */
  hashQueueLimit: number;
  /**
   * Reset requests per email (from any address), per email from one address,
   * and per client address, within resetRequestWindow (0: no limit).
   */
  resetMaxPerEmail: number;
  resetMaxPerEmailAndIp: number;
  resetMaxPerIp: number;
  resetRequestWindow: number;
  /** Registrations per client address, and in all, within registrationWindow (0: no limit). */
  registrationMaxPerIp: number;
  registrationMaxTotal: number;
  registrationWindow: number;
  /**
   * Passkey sign-in options (each a stored challenge) per client address
   * within passkeyOptionsWindow (0: no limit).
   */
  passkeyOptionsMaxPerIp: number;
  passkeyOptionsWindow: number;
  /**
   * The OpenID provider's device page: codes typed (each post of its form)
   * per client address within deviceCodeEntriesWindow (0: no limit).
   */
  deviceCodeEntriesMaxPerIp: number;
  deviceCodeEntriesWindow: number;
  /** Audit rows older than this are deleted. */
  auditRetention: number;
  /** The name authenticator apps show beside the account's TOTP codes. */
  totpIssuer: string;
  /**
   * off: addresses are never checked (development's default, the original
   * contract); optional: links are mailed and the state shown; required
   * (production's default): no session until the address is verified.
   */
  emailVerification: EmailVerificationMode;
}

export type EmailVerificationMode = "off" | "optional" | "required";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Defaults. Development keeps the original contract (5-character passwords are
 * accepted); production raises the floor to NIST 800-63B's 8 characters.
 */
export function defaultAuthSettings(mode: AuthMode = "development"): AuthSettings {
  return {
    mode,
    passwordHash: "bcrypt",
    bcryptCost: 12,
    argon2MemoryCost: 19_456,
    argon2TimeCost: 2,
    passwordMinLength: mode === "production" ? 8 : 5,
    passwordMaxLength: 128,
    passwordBlocklist: mode === "production",
    sessionAbsoluteLifetime: 30 * DAY,
    sessionIdleTimeout: 7 * DAY,
    sessionRenewInterval: 5 * MINUTE,
    resetTokenLifetime: 30 * MINUTE,
    loginMaxFailures: 10,
    loginAccountMaxFailures: 100,
    loginFailureWindow: DAY,
    loginLockoutBase: 1000,
    loginLockoutMax: 15 * MINUTE,
    loginIpMaxFailures: 100,
    loginIpWindow: 15 * MINUTE,
    maxConcurrentHashes: Math.max(2, availableParallelism()),
    hashQueueLimit: 32,
    // Development hands tokens back in the body for scripts and the original
    // client, which may ask again and again: the limits guard real mailboxes.
    resetMaxPerEmail: mode === "production" ? 10 : 0,
    resetMaxPerEmailAndIp: mode === "production" ? 3 : 0,
    resetMaxPerIp: mode === "production" ? 50 : 0,
    resetRequestWindow: HOUR,
    // Development registers freely (scripts, tests, the original client); it
    // listens on loopback, and hashing keeps slots for logins in any mode.
    registrationMaxPerIp: mode === "production" ? 20 : 0,
    registrationMaxTotal: mode === "production" ? 1000 : 0,
    registrationWindow: HOUR,
    // Anyone may ask for sign-in options, and each one is a row until it is
    // used or expires: one address may not fill the table. A browser asks once
    // or twice a sign-in; a shared NAT's people share the quota.
    passkeyOptionsMaxPerIp: mode === "production" ? 120 : 0,
    passkeyOptionsWindow: MINUTE,
    // A user code can be guessed; a person sends two or three posts a device,
    // and a shared NAT's people share the quota.
    deviceCodeEntriesMaxPerIp: mode === "production" ? 30 : 0,
    deviceCodeEntriesWindow: 15 * MINUTE,
    auditRetention: 90 * DAY,
    totpIssuer: "auth-service",
    emailVerification: mode === "production" ? "required" : "off",
  };
}

/** Fills the gaps of a partial settings object with the defaults of its mode. */
export function resolveAuthSettings(partial: Partial<AuthSettings> = {}): AuthSettings {
  const base = defaultAuthSettings(partial.mode ?? "development");
  const merged: AuthSettings = { ...base };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  return Object.freeze(merged);
}

/**
 * Throws a RangeError naming the first setting out of its range. Shared by the
 * library entry and by src/config.ts, so an environment variable and an options
 * object are held to the same rules.
 */
export function assertValidAuthSettings(settings: AuthSettings): void {
  const checks: Array<[keyof AuthSettings, boolean, string]> = [
    [
      "mode",
      settings.mode === "development" || settings.mode === "production",
      "development or production",
    ],
    [
      "passwordHash",
      settings.passwordHash === "bcrypt" || settings.passwordHash === "argon2id",
      "bcrypt or argon2id",
    ],
    ["bcryptCost", isIntegerIn(settings.bcryptCost, 4, 31), "an integer from 4 to 31"],
    [
      "argon2MemoryCost",
      isIntegerIn(settings.argon2MemoryCost, 8, 4_194_304),
      "an integer from 8 to 4194304 (KiB)",
    ],
    ["argon2TimeCost", isIntegerIn(settings.argon2TimeCost, 1, 100), "an integer from 1 to 100"],
    [
      "passwordMinLength",
      isIntegerIn(settings.passwordMinLength, 1, 1024),
      "an integer from 1 to 1024",
    ],
    [
      "passwordMaxLength",
      isIntegerIn(settings.passwordMaxLength, settings.passwordMinLength, 1024),
      "an integer from the minimum length to 1024",
    ],
    [
      "sessionAbsoluteLifetime",
      isPositiveDuration(settings.sessionAbsoluteLifetime),
      "a positive duration",
    ],
    ["sessionIdleTimeout", isPositiveDuration(settings.sessionIdleTimeout), "a positive duration"],
    [
      "sessionRenewInterval",
      isPositiveDuration(settings.sessionRenewInterval),
      "a positive duration",
    ],
    ["resetTokenLifetime", isPositiveDuration(settings.resetTokenLifetime), "a positive duration"],
    [
      "loginMaxFailures",
      isIntegerIn(settings.loginMaxFailures, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    ["loginFailureWindow", isPositiveDuration(settings.loginFailureWindow), "a positive duration"],
    ["loginLockoutBase", isPositiveDuration(settings.loginLockoutBase), "a positive duration"],
    ["loginLockoutMax", isPositiveDuration(settings.loginLockoutMax), "a positive duration"],
    [
      "loginAccountMaxFailures",
      isIntegerIn(settings.loginAccountMaxFailures, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    [
      "loginIpMaxFailures",
      isIntegerIn(settings.loginIpMaxFailures, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    ["loginIpWindow", isPositiveDuration(settings.loginIpWindow), "a positive duration"],
    [
      "maxConcurrentHashes",
      isIntegerIn(settings.maxConcurrentHashes, 1, 1024),
      "an integer from 1 to 1024",
    ],
    ["hashQueueLimit", isIntegerIn(settings.hashQueueLimit, 0, 1_000_000), "an integer from 0"],
    ["passwordBlocklist", typeof settings.passwordBlocklist === "boolean", "true or false"],
    [
      "resetMaxPerEmail",
      isIntegerIn(settings.resetMaxPerEmail, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    ["resetMaxPerIp", isIntegerIn(settings.resetMaxPerIp, 0, 1_000_000), "an integer from 0 (off)"],
    [
      "resetMaxPerEmailAndIp",
      isIntegerIn(settings.resetMaxPerEmailAndIp, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    ["resetRequestWindow", isPositiveDuration(settings.resetRequestWindow), "a positive duration"],
    [
      "registrationMaxPerIp",
      isIntegerIn(settings.registrationMaxPerIp, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    [
      "registrationMaxTotal",
      isIntegerIn(settings.registrationMaxTotal, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    ["registrationWindow", isPositiveDuration(settings.registrationWindow), "a positive duration"],
    [
      "passkeyOptionsMaxPerIp",
      isIntegerIn(settings.passkeyOptionsMaxPerIp, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    [
      "passkeyOptionsWindow",
      isPositiveDuration(settings.passkeyOptionsWindow),
      "a positive duration",
    ],
    [
      "deviceCodeEntriesMaxPerIp",
      isIntegerIn(settings.deviceCodeEntriesMaxPerIp, 0, 1_000_000),
      "an integer from 0 (off)",
    ],
    [
      "deviceCodeEntriesWindow",
      isPositiveDuration(settings.deviceCodeEntriesWindow),
      "a positive duration",
    ],
    ["auditRetention", isPositiveDuration(settings.auditRetention), "a positive duration"],
    [
      "emailVerification",
      ["off", "optional", "required"].includes(settings.emailVerification),
      "off, optional or required",
    ],
    [
      "totpIssuer",
      isDisplayLabel(settings.totpIssuer),
      "1 to 64 printable characters without a colon",
    ],
  ];
  for (const [name, ok, expected] of checks) {
    if (!ok) throw new RangeError(`${name} must be ${expected} (got ${String(settings[name])})`);
  }
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function isPositiveDuration(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** A name shown to people (the issuer in an authenticator app): 1-64 printable characters, no colon. */
export function isDisplayLabel(text: unknown): text is string {
  return typeof text === "string" && /^[^\p{C}:]{1,64}$/u.test(text) && text.trim() === text;
}
