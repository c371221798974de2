import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/** API keys for the admin API: a name, scopes, and only a hash of the key. */
export function apiKeysMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("api_keys")
        .$call(withIdColumn(dialect))
        .addColumn("name", "text", (col) => col.notNull().unique())
        .addColumn("key_hash", "text", (col) => col.notNull().unique())
        .addColumn("display_prefix", "text", (col) => col.notNull())
        .addColumn("scopes", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("expires_at", "bigint")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("api_keys").execute();
    },
  };
}
