import {
  DEFAULT_RP_NAME,
  type PasskeyConfig,
  resolvePasskeyConfig,
} from "../capabilities/passkeys/settings.js";
import { type Brand, DEFAULT_BRAND } from "../core/pages/page-context.js";
import {
  type AuthSettings,
  assertValidAuthSettings,
  defaultAuthSettings,
  type EmailVerificationMode,
  type PasswordHashAlgorithm,
} from "../core/settings.js";
import { SECRET_KEY_REQUIRED } from "../platform/crypto/secret-box.js";
import { parseDatabaseUrl } from "../platform/db/database-url.js";
import { LANGUAGES, type Language } from "../platform/i18n/languages.js";
import { brandColorProblems } from "../platform/pages/contrast.js";
import { type Env, EnvReader, type TrustProxy } from "./env-reader.js";

/** The service's whole configuration: read once from the environment, then frozen. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  databasePoolSize: number;
  /** Longest wait for the database (ms) before a request gets 503. */
  databaseTimeoutMs: number;
  /** Keep login throttling state in Redis instead of the database. */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Session lookups kept in memory, invalidated across processes (WAL header or LISTEN/NOTIFY). */
  sessionCache: boolean;
  logLevel: LogLevel;
  /** Origins (scheme://host[:port]) allowed to send state-changing requests besides our own. */
  trustedOrigins: readonly string[];
  /** Largest request body in bytes; larger ones get 413. */
  bodyLimit: number;
  /**
   * Which X-Forwarded-For entries to believe: false (none: the peer is the
   * client), the number of proxies in front of the service, or the proxies'
   * own addresses and CIDR ranges.
   */
  trustProxy: TrustProxy;
  /** Longest time to receive a whole request, headers and body (ms); then 408 and the connection ends. */
  requestTimeoutMs: number;
  /** Longest time to receive a request's headers (ms); no longer than requestTimeoutMs. */
  headersTimeoutMs: number;
  /** Connections served at once; further ones are closed as they arrive. */
  maxConnections: number;
  /** Serve Swagger UI at /docs (on in development, off in production by default). */
  apiDocs: boolean;
  /** Processes serving the port (Node cluster); 1 runs without a primary. */
  workers: number;
  /**
   * When set, GET /metrics needs `Authorization: Bearer <token>`. Production
   * serves no /metrics without one.
   */
  metricsToken: string | undefined;
  /** Origins allowed to read answers cross-origin (CORS, with credentials); none: CORS off. */
  corsOrigins: readonly string[];
  /** `session_id` by default; `__Host-session_id` binds the cookie to this exact host over HTTPS. */
  sessionCookieName: string;
  /** Where users reach the service, e.g. https://auth.example.com: mailed links start with it. */
  publicUrl: string | undefined;
  /** Origins besides the service's own that the sign-in pages' return_to may lead to. */
  allowedReturnOrigins: readonly string[];
  /** The pages' and mails' language when neither the switcher's cookie nor Accept-Language names one. */
  defaultLanguage: Language;
  /** The name, colour and logo the pages and mails show. */
  brand: Brand;
  /** The OpenID provider's issuer (OIDC_ISSUER); unset: PUBLIC_URL, or http://localhost:<PORT> in development. */
  oidcIssuer: string | undefined;
  /** How mail goes out; required in production (reset links). */
  mail: MailConfig | undefined;
  /**
   * SECRET_KEY as given (validated: 64 hex characters or 32+ bytes in
   * base64): encrypts the secrets the service reads back. Unset, development
   * keeps a generated key beside the database (see crypto/secret-key-file.ts).
   */
  secretKey: string | undefined;
  webhooks: WebhookConfig;
  /**
   * SOCIAL_ALLOWED_HOSTS: host names, IP addresses and CIDR ranges where
   * identity providers may be although internal (refused otherwise in
   * production: the service sends its client secret there).
   */
  socialAllowedHosts: readonly string[];
  /** The relying party of passkeys: WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS. */
  webauthn: PasskeyConfig;
  auth: AuthSettings;
}

export interface WebhookConfig {
  /** Longest wait for an endpoint's answer, per attempt. */
  timeoutMs: number;
  /** First retry delay; it doubles with each failure, at most an hour apart. */
  retryBaseMs: number;
  /** How long after the event deliveries are retried before they are marked failed. */
  retryForMs: number;
  /**
   * Host names, IP addresses and CIDR ranges that endpoints may reach
   * although internal (loopback, private, link-local ...), which is refused otherwise.
   */
  allowedHosts: readonly string[];
}

export interface MailConfig {
  /** smtp://user:password@host:587 or smtps://...:465 */
  smtpUrl: string;
  /** The From header, e.g. "Example <no-reply@example.com>". */
  from: string;
}

/** What mail needs, in the order an operator sets it up. */
const MAIL_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ["SMTP_URL", "the mail transport for reset links, e.g. smtp://user:pass@mail.example.com:587"],
  ["MAIL_FROM", 'the sender of those mails, e.g. "Example <no-reply@example.com>"'],
  ["PUBLIC_URL", "where users reach the service, e.g. https://auth.example.com"],
];

/** false, a number of proxies in front, or their addresses / CIDR ranges (see client-address.ts). */
export type { TrustProxy } from "./env-reader.js";

import { LOG_LEVELS, type LogLevel } from "../platform/http/logger.js";

export type { LogLevel };

/** Raised with every problem found, so one failed start lists them all. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * The one reader of the environment. Every variable, its default and its
 * meaning is listed in .env.example and in docs/CONFIGURATION.md.
 * @throws ConfigError naming each invalid variable.
 */
export function loadConfig(env: Env = process.env, overrides: Env = {}): Config {
  // Command-line flags (overrides) win over the environment.
  env = { ...env, ...withoutUndefined(overrides) };
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const mode = read.mode();
  const defaults = defaultAuthSettings(mode);
  const auth: AuthSettings = {
    mode,
    passwordHash: read.oneOf<PasswordHashAlgorithm>(
      "PASSWORD_HASH",
      ["bcrypt", "argon2id"],
      defaults.passwordHash,
    ),
    bcryptCost: read.integer("BCRYPT_COST", defaults.bcryptCost, 4, 31),
    argon2MemoryCost: read.integer("ARGON2_MEMORY_COST", defaults.argon2MemoryCost, 8, 4_194_304),
    argon2TimeCost: read.integer("ARGON2_TIME_COST", defaults.argon2TimeCost, 1, 100),
    passwordMinLength: read.integer("PASSWORD_MIN_LENGTH", defaults.passwordMinLength, 1, 1024),
    passwordMaxLength: read.integer("PASSWORD_MAX_LENGTH", defaults.passwordMaxLength, 1, 1024),
    sessionAbsoluteLifetime: read.duration("SESSION_LIFETIME", defaults.sessionAbsoluteLifetime),
    sessionIdleTimeout: read.duration("SESSION_IDLE_TIMEOUT", defaults.sessionIdleTimeout),
    sessionRenewInterval: read.duration("SESSION_RENEW_INTERVAL", defaults.sessionRenewInterval),
    resetTokenLifetime: read.duration("RESET_TOKEN_LIFETIME", defaults.resetTokenLifetime),
    loginMaxFailures: read.integer("LOGIN_MAX_FAILURES", defaults.loginMaxFailures, 0, 1_000_000),
    loginAccountMaxFailures: read.integer(
      "LOGIN_ACCOUNT_MAX_FAILURES",
      defaults.loginAccountMaxFailures,
      0,
      1_000_000,
    ),
    loginFailureWindow: read.duration("LOGIN_FAILURE_WINDOW", defaults.loginFailureWindow),
    loginLockoutBase: read.duration("LOGIN_LOCKOUT_BASE", defaults.loginLockoutBase),
    loginLockoutMax: read.duration("LOGIN_LOCKOUT_MAX", defaults.loginLockoutMax),
    loginIpMaxFailures: read.integer(
      "LOGIN_IP_MAX_FAILURES",
      defaults.loginIpMaxFailures,
      0,
      1_000_000,
    ),
    loginIpWindow: read.duration("LOGIN_IP_WINDOW", defaults.loginIpWindow),
    maxConcurrentHashes: read.integer(
      "MAX_CONCURRENT_HASHES",
      defaults.maxConcurrentHashes,
      1,
      1024,
    ),
    hashQueueLimit: read.integer("HASH_QUEUE_LIMIT", defaults.hashQueueLimit, 0, 1_000_000),
    passwordBlocklist: read.boolean("PASSWORD_BLOCKLIST", defaults.passwordBlocklist),
    resetMaxPerEmail: read.integer("RESET_MAX_PER_EMAIL", defaults.resetMaxPerEmail, 0, 1_000_000),
    resetMaxPerIp: read.integer("RESET_MAX_PER_IP", defaults.resetMaxPerIp, 0, 1_000_000),
    resetMaxPerEmailAndIp: read.integer(
      "RESET_MAX_PER_EMAIL_AND_IP",
      defaults.resetMaxPerEmailAndIp,
      0,
      1_000_000,
    ),
    resetRequestWindow: read.duration("RESET_REQUEST_WINDOW", defaults.resetRequestWindow),
    registrationMaxPerIp: read.integer(
      "REGISTRATION_MAX_PER_IP",
      defaults.registrationMaxPerIp,
      0,
      1_000_000,
    ),
    registrationMaxTotal: read.integer(
      "REGISTRATION_MAX_TOTAL",
      defaults.registrationMaxTotal,
      0,
      1_000_000,
    ),
    registrationWindow: read.duration("REGISTRATION_WINDOW", defaults.registrationWindow),
    passkeyOptionsMaxPerIp: read.integer(
      "PASSKEY_OPTIONS_MAX_PER_IP",
      defaults.passkeyOptionsMaxPerIp,
      0,
      1_000_000,
    ),
    passkeyOptionsWindow: read.duration("PASSKEY_OPTIONS_WINDOW", defaults.passkeyOptionsWindow),
    deviceCodeEntriesMaxPerIp: read.integer(
      "DEVICE_CODE_ENTRIES_MAX_PER_IP",
      defaults.deviceCodeEntriesMaxPerIp,
      0,
      1_000_000,
    ),
    deviceCodeEntriesWindow: read.duration(
      "DEVICE_CODE_ENTRIES_WINDOW",
      defaults.deviceCodeEntriesWindow,
    ),
    auditRetention: read.duration("AUDIT_RETENTION", defaults.auditRetention),
    totpIssuer: read.label("TOTP_ISSUER", defaults.totpIssuer),
    emailVerification: read.oneOf<EmailVerificationMode>(
      "EMAIL_VERIFICATION",
      ["off", "optional", "required"],
      defaults.emailVerification,
    ),
  };
  if (auth.passwordMaxLength < auth.passwordMinLength) {
    problems.push("PASSWORD_MAX_LENGTH must not be smaller than PASSWORD_MIN_LENGTH");
  }

  const databaseUrl = databaseUrlOf(env);
  try {
    parseDatabaseUrl(databaseUrl);
  } catch (error) {
    problems.push((error as Error).message);
  }

  const smtpUrl = read.url("SMTP_URL", ["smtp:", "smtps:"]);
  const mailFrom = read.mailbox("MAIL_FROM");
  const publicUrl = read.url("PUBLIC_URL", ["http:", "https:"])?.replace(/\/+$/, "");
  // Production mails reset links, so it needs all three; development needs
  // the other two once SMTP_URL is set. Each missing one is named (an invalid
  // one was reported above), so the operator fixes them all in one go.
  const mailNeeds =
    mode === "production" ? MAIL_VARIABLES : smtpUrl !== undefined ? MAIL_VARIABLES.slice(1) : [];
  for (const [name, what] of mailNeeds) {
    if (!read.isUnset(name)) continue;
    problems.push(
      mode === "production"
        ? `${name} is required in production: ${what}`
        : `${name} is required when SMTP_URL is set`,
    );
  }

  const webauthn = resolvePasskeyConfig(
    {
      rpId: env.WEBAUTHN_RP_ID?.trim() || undefined,
      rpName: read.label("WEBAUTHN_RP_NAME", DEFAULT_RP_NAME),
      origins: read.origins("WEBAUTHN_ORIGINS"),
    },
    { mode, publicUrl },
    problems,
  );

  // Secrets the service reads back are sealed under it: no generated key in production.
  if (mode === "production" && read.isUnset("SECRET_KEY")) problems.push(SECRET_KEY_REQUIRED);

  const config: Config = {
    port: read.integer("PORT", 5000, 0, 65_535),
    // Development answers reset tokens in the body: reachable from this machine
    // only, unless HOST says otherwise.
    host: env.HOST?.trim() || (mode === "production" ? "0.0.0.0" : "127.0.0.1"),
    databaseUrl,
    databasePoolSize: read.integer("DATABASE_POOL_SIZE", 10, 1, 1000),
    databaseTimeoutMs: read.duration("DATABASE_TIMEOUT", 5000),
    redisUrl: read.redisUrl("REDIS_URL"),
    redisKeyPrefix: env.REDIS_KEY_PREFIX?.trim() || "auth:throttle:",
    sessionCache: read.boolean("SESSION_CACHE", true),
    logLevel: read.oneOf<LogLevel>("LOG_LEVEL", LOG_LEVELS, "info"),
    trustedOrigins: read.origins("TRUSTED_ORIGINS"),
    bodyLimit: read.integer("BODY_LIMIT", 64 * 1024, 1024, 16 * 1024 * 1024),
    trustProxy: read.trustProxy("TRUST_PROXY"),
    requestTimeoutMs: read.duration("REQUEST_TIMEOUT", 30_000),
    headersTimeoutMs: read.duration("HEADERS_TIMEOUT", 10_000),
    maxConnections: read.integer("MAX_CONNECTIONS", 4096, 1, 1_000_000),
    apiDocs: read.boolean("API_DOCS", mode === "development"),
    workers: read.integer("WORKERS", 1, 1, 256),
    metricsToken: env.METRICS_TOKEN?.trim() || undefined,
    corsOrigins: read.origins("CORS_ORIGINS"),
    sessionCookieName: read.cookieName("SESSION_COOKIE_NAME", "session_id"),
    publicUrl,
    allowedReturnOrigins: read.origins("ALLOWED_RETURN_ORIGINS"),
    defaultLanguage: read.oneOf<Language>("DEFAULT_LANGUAGE", LANGUAGES, "en"),
    brand: brandOf(read, env),
    oidcIssuer: read.url("OIDC_ISSUER", ["http:", "https:"])?.replace(/\/+$/, ""),
    mail: smtpUrl && mailFrom ? { smtpUrl, from: mailFrom } : undefined,
    secretKey: read.secretKey("SECRET_KEY"),
    webhooks: {
      timeoutMs: read.duration("WEBHOOK_TIMEOUT", 10_000),
      retryBaseMs: read.duration("WEBHOOK_RETRY_BASE", 5000),
      retryForMs: read.duration("WEBHOOK_RETRY_FOR", 86_400_000),
      allowedHosts: Object.freeze(read.hosts("WEBHOOK_ALLOWED_HOSTS")),
    },
    socialAllowedHosts: Object.freeze(read.hosts("SOCIAL_ALLOWED_HOSTS")),
    webauthn,
    auth,
  };

  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    problems.push("HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  assertValidAuthSettings(auth);
  return Object.freeze({
    ...config,
    webhooks: Object.freeze(config.webhooks),
    webauthn: Object.freeze(config.webauthn),
    auth: Object.freeze(auth),
  });
}

/**
 * BRAND_NAME, BRAND_COLOR (refused when it fails WCAG AA contrast against
 * either page background, contrast.ts) and BRAND_LOGO_URL (https, or a path
 * of this service; its origin goes into the pages' img-src).
 */
function brandOf(read: EnvReader, env: Env): Brand {
  const name = read.label("BRAND_NAME", DEFAULT_BRAND.name);
  const color = env.BRAND_COLOR?.trim() || undefined;
  if (color !== undefined)
    for (const problem of brandColorProblems(color)) read.problem(`BRAND_COLOR ${problem}`);
  const logo = env.BRAND_LOGO_URL?.trim() || undefined;
  let logoUrl: string | undefined;
  if (logo !== undefined) {
    if (logo.startsWith("/") && !logo.startsWith("//")) logoUrl = logo;
    else logoUrl = read.url("BRAND_LOGO_URL", ["https:", "http:"]) === undefined ? undefined : logo;
  }
  return { name, color: color?.toLowerCase(), logoUrl };
}

function withoutUndefined(values: Env): Env {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

export { parseDuration } from "./env-reader.js";

/** LOG_LEVEL=debug or trace: the command line shows stacks besides its one-line messages. */
export function wantsDebugOutput(env: Env = process.env): boolean {
  const level = env.LOG_LEVEL?.trim();
  return level === "debug" || level === "trace";
}

/** DATABASE_URL, or the embedded default. */
export function databaseUrlOf(env: Env = process.env): string {
  return env.DATABASE_URL?.trim() || "sqlite:auth.db";
}
