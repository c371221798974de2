import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig, parseDuration } from "../src/main/config.js";

test("defaults: port 5000 on loopback, sqlite:auth.db, development, bcrypt 12", () => {
  const config = loadConfig({});
  assert.equal(config.port, 5000);
  assert.equal(config.host, "127.0.0.1", "development hands out reset tokens: this machine only");
  assert.equal(config.databaseUrl, "sqlite:auth.db");
  assert.equal(config.auth.mode, "development");
  assert.equal(config.auth.passwordHash, "bcrypt");
  assert.equal(config.auth.bcryptCost, 12);
  assert.equal(config.auth.passwordMinLength, 5);
  assert.equal(config.auth.resetTokenLifetime, 30 * 60_000);
  assert.equal(config.bodyLimit, 65_536);
  assert.deepEqual(config.trustedOrigins, []);
  assert.equal(config.requestTimeoutMs, 30_000);
  assert.equal(config.headersTimeoutMs, 10_000);
  assert.equal(config.maxConnections, 4096);
  assert.equal(config.apiDocs, true);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.auth));
});

test("every variable is read", () => {
  const config = loadConfig({
    PORT: "8080",
    HOST: "127.0.0.1",
    DATABASE_URL: "postgres://u@db:5432/auth",
    DATABASE_POOL_SIZE: "20",
    AUTH_MODE: "production",
    LOG_LEVEL: "warn",
    TRUSTED_ORIGINS: "https://a.example, http://localhost:3000/",
    PASSWORD_HASH: "argon2id",
    BCRYPT_COST: "10",
    ARGON2_MEMORY_COST: "65536",
    ARGON2_TIME_COST: "3",
    PASSWORD_MIN_LENGTH: "10",
    PASSWORD_MAX_LENGTH: "200",
    SESSION_LIFETIME: "14d",
    SESSION_IDLE_TIMEOUT: "12h",
    SESSION_RENEW_INTERVAL: "90",
    RESET_TOKEN_LIFETIME: "15m",
    BODY_LIMIT: "4096",
    TRUST_PROXY: "1",
    DATABASE_TIMEOUT: "2s",
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_KEY_PREFIX: "x:",
    WORKERS: "4",
    LOGIN_MAX_FAILURES: "5",
    LOGIN_FAILURE_WINDOW: "1h",
    LOGIN_LOCKOUT_BASE: "2s",
    LOGIN_LOCKOUT_MAX: "1h",
    LOGIN_IP_MAX_FAILURES: "0",
    LOGIN_IP_WINDOW: "5m",
    MAX_CONCURRENT_HASHES: "3",
    HASH_QUEUE_LIMIT: "7",
    METRICS_TOKEN: "scrape-me",
    SMTP_URL: "smtps://mailer:secret@mail.example.com:465",
    MAIL_FROM: "Example <no-reply@example.com>",
    PUBLIC_URL: "https://auth.example.com/",
    SESSION_COOKIE_NAME: "__Host-session_id",
    CORS_ORIGINS: "https://app.example.com",
    PASSWORD_BLOCKLIST: "false",
    RESET_MAX_PER_EMAIL: "2",
    RESET_MAX_PER_IP: "9",
    RESET_REQUEST_WINDOW: "10m",
    AUDIT_RETENTION: "365d",
    REQUEST_TIMEOUT: "20s",
    HEADERS_TIMEOUT: "5s",
    MAX_CONNECTIONS: "500",
    API_DOCS: "true",
    RESET_MAX_PER_EMAIL_AND_IP: "4",
    REGISTRATION_MAX_PER_IP: "6",
    REGISTRATION_MAX_TOTAL: "60",
    REGISTRATION_WINDOW: "2h",
    LOGIN_ACCOUNT_MAX_FAILURES: "70",
    SECRET_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  });
  assert.equal(config.port, 8080);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.databasePoolSize, 20);
  assert.equal(config.auth.mode, "production");
  assert.equal(config.logLevel, "warn");
  assert.deepEqual(config.trustedOrigins, ["https://a.example", "http://localhost:3000"]);
  assert.equal(config.auth.passwordHash, "argon2id");
  assert.equal(config.auth.argon2MemoryCost, 65_536);
  assert.equal(config.auth.passwordMinLength, 10);
  assert.equal(config.auth.sessionAbsoluteLifetime, 14 * 86_400_000);
  assert.equal(config.auth.sessionIdleTimeout, 12 * 3_600_000);
  assert.equal(config.auth.sessionRenewInterval, 90_000);
  assert.equal(config.auth.resetTokenLifetime, 15 * 60_000);
  assert.equal(config.bodyLimit, 4096);
  assert.equal(config.trustProxy, 1);
  assert.equal(config.requestTimeoutMs, 20_000);
  assert.equal(config.headersTimeoutMs, 5000);
  assert.equal(config.maxConnections, 500);
  assert.equal(config.apiDocs, true);
  assert.equal(config.auth.resetMaxPerEmailAndIp, 4);
  assert.equal(config.auth.registrationMaxPerIp, 6);
  assert.equal(config.auth.registrationMaxTotal, 60);
  assert.equal(config.auth.registrationWindow, 2 * 3_600_000);
  assert.equal(config.auth.loginAccountMaxFailures, 70);
  assert.equal(config.databaseTimeoutMs, 2000);
  assert.equal(config.redisUrl, "redis://127.0.0.1:6379");
  assert.equal(config.redisKeyPrefix, "x:");
  assert.equal(config.workers, 4);
  assert.equal(config.auth.loginMaxFailures, 5);
  assert.equal(config.auth.loginFailureWindow, 3_600_000);
  assert.equal(config.auth.loginLockoutBase, 2000);
  assert.equal(config.auth.loginLockoutMax, 3_600_000);
  assert.equal(config.auth.loginIpMaxFailures, 0);
  assert.equal(config.auth.loginIpWindow, 300_000);
  assert.equal(config.auth.maxConcurrentHashes, 3);
  assert.equal(config.auth.hashQueueLimit, 7);
  assert.equal(config.metricsToken, "scrape-me");
  assert.deepEqual(config.mail, {
    smtpUrl: "smtps://mailer:secret@mail.example.com:465",
    from: "Example <no-reply@example.com>",
  });
  assert.equal(config.publicUrl, "https://auth.example.com", "trailing slash dropped");
  assert.equal(config.sessionCookieName, "__Host-session_id");
  assert.deepEqual(config.corsOrigins, ["https://app.example.com"]);
  assert.equal(config.auth.passwordBlocklist, false);
  assert.equal(config.auth.resetMaxPerEmail, 2);
  assert.equal(config.auth.resetMaxPerIp, 9);
  assert.equal(config.auth.resetRequestWindow, 600_000);
  assert.equal(config.auth.auditRetention, 365 * 86_400_000);
});

const PRODUCTION_MAIL = {
  SMTP_URL: "smtp://127.0.0.1:2525",
  MAIL_FROM: "no-reply@example.com",
  PUBLIC_URL: "https://auth.example.com",
  SECRET_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

test("production refuses to start without SMTP_URL, MAIL_FROM, PUBLIC_URL and SECRET_KEY, naming each", () => {
  assert.throws(
    () => loadConfig({ AUTH_MODE: "production" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      for (const name of ["SMTP_URL", "MAIL_FROM", "PUBLIC_URL", "SECRET_KEY"]) {
        assert.ok(
          error.problems.some((problem) => problem.startsWith(`${name} is required in production`)),
          name,
        );
      }
      return true;
    },
  );
  const { PUBLIC_URL: _, ...withoutPublicUrl } = PRODUCTION_MAIL;
  assert.throws(
    () => loadConfig({ NODE_ENV: "production", ...withoutPublicUrl }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.length === 1 &&
      /^PUBLIC_URL is required/.test(error.problems[0] ?? ""),
  );
  assert.throws(
    () => loadConfig({ AUTH_MODE: "production", ...PRODUCTION_MAIL, SMTP_URL: "http://mail" }),
    /SMTP_URL must be a smtp:\/\/ or smtps:\/\/ URL/,
  );
  assert.throws(() => loadConfig({ ...PRODUCTION_MAIL, MAIL_FROM: "nobody" }), /MAIL_FROM must be/);
  assert.throws(() => loadConfig({ SESSION_COOKIE_NAME: "a b" }), /SESSION_COOKIE_NAME/);
  assert.throws(() => loadConfig({ SMTP_URL: "smtp://x" }), /MAIL_FROM is required when SMTP_URL/);
});

test("development: mail optional, blocklist and reset limits off; production: on", () => {
  const development = loadConfig({});
  assert.equal(development.mail, undefined);
  assert.equal(development.sessionCookieName, "session_id");
  assert.deepEqual(development.corsOrigins, []);
  assert.equal(development.auth.passwordBlocklist, false);
  assert.equal(development.auth.resetMaxPerEmail, 0);
  const production = loadConfig({ AUTH_MODE: "production", ...PRODUCTION_MAIL });
  assert.equal(production.auth.passwordBlocklist, true);
  assert.equal(production.auth.resetMaxPerEmail, 10);
  assert.equal(production.auth.resetMaxPerEmailAndIp, 3);
  assert.equal(production.auth.registrationMaxPerIp, 20);
  assert.equal(production.auth.registrationMaxTotal, 1000);
  assert.equal(development.auth.registrationMaxPerIp, 0);
  assert.equal(production.auth.resetMaxPerIp, 50);
  assert.equal(production.auth.passwordMaxLength, 128);
  assert.equal(production.host, "0.0.0.0");
  assert.equal(production.apiDocs, false);
  assert.equal(loadConfig({ HOST: "0.0.0.0" }).host, "0.0.0.0", "an explicit HOST wins");
});

test("the headers timeout cannot outlast the request timeout", () => {
  assert.throws(
    () => loadConfig({ REQUEST_TIMEOUT: "5s", HEADERS_TIMEOUT: "10s" }),
    /HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT/,
  );
});

test("NODE_ENV=production alone selects production, with its password floor", () => {
  const config = loadConfig({ NODE_ENV: "production", ...PRODUCTION_MAIL });
  assert.equal(config.auth.mode, "production");
  assert.equal(config.auth.passwordMinLength, 8);
});

test("invalid values stop the start, each one named", () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: "http",
        BCRYPT_COST: "40",
        AUTH_MODE: "prod",
        DATABASE_URL: "mysql://x",
        SESSION_LIFETIME: "forever",
        TRUSTED_ORIGINS: "not a url",
        LOG_LEVEL: "loud",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.message;
      for (const name of [
        "PORT",
        "BCRYPT_COST",
        "AUTH_MODE",
        "DATABASE_URL",
        "SESSION_LIFETIME",
        "TRUSTED_ORIGINS",
        "LOG_LEVEL",
      ]) {
        assert.match(text, new RegExp(name), `names ${name}`);
      }
      assert.equal(error.problems.length, 7);
      return true;
    },
  );
  assert.throws(
    () => loadConfig({ PASSWORD_MIN_LENGTH: "20", PASSWORD_MAX_LENGTH: "10" }),
    /PASSWORD_MAX_LENGTH/,
  );
});

test("durations: seconds by default, or with a unit", () => {
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("30d"), 2_592_000_000);
  assert.ok(Number.isNaN(parseDuration("1w")));
  assert.ok(Number.isNaN(parseDuration("-5")));
});

test("command-line overrides win over the environment", () => {
  assert.equal(loadConfig({ PORT: "7000" }, { PORT: "7001", HOST: undefined }).port, 7001);
});
