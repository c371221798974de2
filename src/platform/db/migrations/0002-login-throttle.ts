import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Login throttling state, shared by every instance over the database (see auth/throttle.ts). */
export function loginThrottleMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("login_throttle")
        .addColumn("key", "text", (col) => col.primaryKey())
        .addColumn("failures", "integer", (col) => col.notNull())
        .addColumn("window_ends_at", "bigint", (col) => col.notNull())
        .addColumn("locked_until", "bigint", (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex("login_throttle_window_ends_at")
        .on("login_throttle")
        .column("window_ends_at")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("login_throttle").execute();
    },
  };
}
