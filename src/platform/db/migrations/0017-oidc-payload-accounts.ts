import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/**
 * The account (`sub`) each row of the OpenID provider's payloads belongs to
 * (sessions, grants, codes, tokens), so that a take-back (logout, password
 * reset or change, sessions ended) deletes exactly that user's provider
 * sessions and tokens in its own transaction, rather than refusing them by
 * comparing their whole-second times with the take-back's.
 */
export function oidcPayloadAccountsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("oidc_payloads").addColumn("account_id", "text").execute();
      // Rows from before: their accountId, read out of the JSON payload.
      const accountOf =
        dialect === "postgres"
          ? sql`(payload::json ->> 'accountId')`
          : sql`json_extract(payload, '$.accountId')`;
      await sql`UPDATE oidc_payloads SET account_id = ${accountOf}`.execute(db);
      await db.schema
        .createIndex("oidc_payloads_account_id")
        .on("oidc_payloads")
        .column("account_id")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex("oidc_payloads_account_id").execute();
      await db.schema.alterTable("oidc_payloads").dropColumn("account_id").execute();
    },
  };
}
