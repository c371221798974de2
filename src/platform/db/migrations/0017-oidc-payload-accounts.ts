import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/**
 * The account (`sub`) each row of the OpenID provider's payloads belongs to
 * (sessions, grants, codes, tokens), so that a take-back (logout, password
 * reset or change, sessions ended) deletes exactly that user's provider
 * sessions and tokens in its own transaction, rather than refusing them by
 * comparing their whole-second times with the take-back's. The lookup
 * columns' indexes become partial (only rows that have a value).
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
      // Partial indexes: most rows (a client's own access tokens above all)
      // have no account, grant, user code or uid, and each index written for
      // nothing is a cost of every token issued.
      for (const column of ["account_id", "grant_id", "user_code", "uid"] as const) {
        if (column !== "account_id") await db.schema.dropIndex(`oidc_payloads_${column}`).execute();
        await db.schema
          .createIndex(`oidc_payloads_${column}`)
          .on("oidc_payloads")
          .column(column)
          .where(sql.ref(column), "is not", null)
          .execute();
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const column of ["account_id", "grant_id", "user_code", "uid"] as const)
        await db.schema.dropIndex(`oidc_payloads_${column}`).execute();
      for (const column of ["grant_id", "user_code", "uid"] as const)
        await db.schema
          .createIndex(`oidc_payloads_${column}`)
          .on("oidc_payloads")
          .column(column)
          .execute();
      await db.schema.alterTable("oidc_payloads").dropColumn("account_id").execute();
    },
  };
}
