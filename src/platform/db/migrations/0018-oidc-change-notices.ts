import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/** The channel each instance's cache of the OpenID provider's userinfo answers listens on. */
export const OIDC_CHANGES_CHANNEL = "auth_oidc_changes";

/**
 * PostgreSQL only: a NOTIFY on OIDC_CHANGES_CHANNEL, with no payload, for
 * every change that could make a kept userinfo answer wrong: any deletion of
 * the provider's rows (a revoked token or grant, a take-back, a purge), an
 * update of a grant or access token (a grant's scopes), and any update or
 * deletion of a client or of a user's `sub` row. As with the session
 * notices (0008), a trigger sends it inside the writing transaction, so it
 * goes out only if the write commits, whoever wrote. Statement-level where it
 * can be (a purge is one notice); the grants' and tokens' updates are
 * row-level with a WHEN, so that the consumption of a refresh token or code,
 * the commonest update, sends nothing. Identical notices of one transaction
 * are delivered once.
 */
export function oidcChangeNoticesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== "postgres") return;
      await sql`
        CREATE FUNCTION auth_notify_oidc_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify(${sql.lit(OIDC_CHANGES_CHANNEL)}, '');
          RETURN NULL;
        END $$`.execute(db);
      await sql`
        CREATE TRIGGER auth_oidc_payloads_delete_notice
        AFTER DELETE ON oidc_payloads
        FOR EACH STATEMENT EXECUTE FUNCTION auth_notify_oidc_change()`.execute(db);
      await sql`
        CREATE TRIGGER auth_oidc_payloads_update_notice
        AFTER UPDATE ON oidc_payloads
        FOR EACH ROW WHEN (OLD.model IN ('Grant', 'AccessToken'))
        EXECUTE FUNCTION auth_notify_oidc_change()`.execute(db);
      for (const table of ["oidc_clients", "oidc_subjects"])
        await sql`
          CREATE TRIGGER ${sql.raw(`auth_${table}_change_notice`)}
          AFTER UPDATE OR DELETE ON ${sql.table(table)}
          FOR EACH STATEMENT EXECUTE FUNCTION auth_notify_oidc_change()`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== "postgres") return;
      for (const [trigger, table] of [
        ["auth_oidc_payloads_delete_notice", "oidc_payloads"],
        ["auth_oidc_payloads_update_notice", "oidc_payloads"],
        ["auth_oidc_clients_change_notice", "oidc_clients"],
        ["auth_oidc_subjects_change_notice", "oidc_subjects"],
      ] as const)
        await sql`DROP TRIGGER ${sql.raw(trigger)} ON ${sql.table(table)}`.execute(db);
      await sql`DROP FUNCTION auth_notify_oidc_change()`.execute(db);
    },
  };
}
