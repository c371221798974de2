import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { initMigration } from "./0001-init.js";
import { loginThrottleMigration } from "./0002-login-throttle.js";
import { auditAndOutboxMigration } from "./0003-audit-and-outbox.js";
import { resetTokensPerRequestMigration } from "./0004-reset-tokens-per-request.js";
import { apiKeysMigration } from "./0005-api-keys.js";
import { webhooksMigration } from "./0006-webhooks.js";
import { secondFactorMigration } from "./0007-second-factor.js";
import { sessionChangeNoticesMigration } from "./0008-session-change-notices.js";
import { emailVerificationMigration } from "./0009-email-verification.js";
import { webhookEndpointBackoffMigration } from "./0010-webhook-endpoint-backoff.js";
import { mfaFirstStepMigration } from "./0011-mfa-first-step.js";
import { usersWithoutPasswordMigration } from "./0012-users-without-password.js";
import { passkeysMigration } from "./0013-passkeys.js";
import { mailLanguageMigration } from "./0014-mail-language.js";
import { oidcProviderMigration } from "./0015-oidc-provider.js";
import { socialLoginMigration } from "./0016-social-login.js";
import { oidcPayloadAccountsMigration } from "./0017-oidc-payload-accounts.js";
import { oidcChangeNoticesMigration } from "./0018-oidc-change-notices.js";
import { oidcKeptTokenNoticesMigration } from "./0019-oidc-kept-token-notices.js";

/**
 * Every migration, in order. Listed here rather than read from a folder, so the
 * same list works from TypeScript sources and from the compiled dist/. Add new
 * ones at the end; never edit or remove one that has shipped.
 */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001-init": atomic(initMigration(dialect)),
    "0002-login-throttle": atomic(loginThrottleMigration()),
    "0003-audit-and-outbox": atomic(auditAndOutboxMigration(dialect)),
    "0004-reset-tokens-per-request": atomic(resetTokensPerRequestMigration(dialect)),
    "0005-api-keys": atomic(apiKeysMigration(dialect)),
    "0006-webhooks": atomic(webhooksMigration(dialect)),
    "0007-second-factor": atomic(secondFactorMigration(dialect)),
    "0008-session-change-notices": atomic(sessionChangeNoticesMigration(dialect)),
    "0009-email-verification": atomic(emailVerificationMigration(dialect)),
    "0010-webhook-endpoint-backoff": atomic(webhookEndpointBackoffMigration()),
    "0011-mfa-first-step": atomic(mfaFirstStepMigration()),
    "0012-users-without-password": atomic(usersWithoutPasswordMigration(dialect)),
    "0013-passkeys": atomic(passkeysMigration(dialect)),
    "0014-mail-language": atomic(mailLanguageMigration()),
    "0015-oidc-provider": atomic(oidcProviderMigration(dialect)),
    "0016-social-login": atomic(socialLoginMigration(dialect)),
    "0017-oidc-payload-accounts": atomic(oidcPayloadAccountsMigration(dialect)),
    "0018-oidc-change-notices": atomic(oidcChangeNoticesMigration(dialect)),
    "0019-oidc-kept-token-notices": atomic(oidcKeptTokenNoticesMigration(dialect)),
  };
}

/**
 * Runs a migration inside a savepoint, so one that fails halfway leaves no
 * half-made schema behind: on PostgreSQL inside Kysely's transaction, on SQLite
 * inside the migration lock's BEGIN IMMEDIATE (see sqlite-dialect.ts).
 */
export function atomic(migration: Migration): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`SAVEPOINT migration`.execute(db);
      try {
        await migration.up(db);
      } catch (error) {
        await sql`ROLLBACK TO SAVEPOINT migration`.execute(db);
        await sql`RELEASE SAVEPOINT migration`.execute(db);
        throw error;
      }
      await sql`RELEASE SAVEPOINT migration`.execute(db);
    },
    down: migration.down,
  };
}
