import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/**
 * PostgreSQL only: an update of a client-credentials token sends the notice
 * of migration 0018 too, as a grant's or an access token's does. Each
 * instance keeps these three models' rows in memory between notices
 * (PayloadStore); oidc-provider never updates a client-credentials token
 * today, and this keeps the kept rows right if it ever does.
 */
export function oidcKeptTokenNoticesMigration(dialect: Dialect): Migration {
  const recreate = (models: readonly string[]) => async (db: Kysely<unknown>) => {
    if (dialect !== "postgres") return;
    await sql`DROP TRIGGER auth_oidc_payloads_update_notice ON oidc_payloads`.execute(db);
    await sql`
      CREATE TRIGGER auth_oidc_payloads_update_notice
      AFTER UPDATE ON oidc_payloads
      FOR EACH ROW WHEN (OLD.model IN (${sql.join(models.map((model) => sql.lit(model)))}))
      EXECUTE FUNCTION auth_notify_oidc_change()`.execute(db);
  };
  return {
    up: recreate(["Grant", "AccessToken", "ClientCredentials"]),
    down: recreate(["Grant", "AccessToken"]),
  };
}
