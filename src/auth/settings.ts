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
  /** A session ends this long after login, however active it is. */
  sessionAbsoluteLifetime: number;
  /** A session ends after this long without a request. */
  sessionIdleTimeout: number;
  /** A session's last-seen time is written at most this often, so reads rarely write. */
  sessionRenewInterval: number;
  resetTokenLifetime: number;
}

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
    sessionAbsoluteLifetime: 30 * DAY,
    sessionIdleTimeout: 7 * DAY,
    sessionRenewInterval: 5 * MINUTE,
    resetTokenLifetime: 30 * MINUTE,
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
