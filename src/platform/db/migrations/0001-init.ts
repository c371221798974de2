import type { CreateTableBuilder, Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/** users, sessions and password_reset_tokens; see schema.ts for what each column means. */
export function initMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("users")
        .$call(withIdColumn(dialect))
        .addColumn("email", "text", (col) => col.notNull())
        .addColumn("email_normalized", "text", (col) => col.notNull().unique())
        .addColumn("hashed_password", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("updated_at", "bigint", (col) => col.notNull())
        .execute();

      await db.schema
        .createTable("sessions")
        .$call(withIdColumn(dialect))
        .addColumn("public_id", "text", (col) => col.notNull().unique())
        .addColumn("token_hash", "text", (col) => col.notNull().unique())
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("last_seen_at", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .execute();
      await db.schema.createIndex("sessions_user_id").on("sessions").column("user_id").execute();
      await db.schema
        .createIndex("sessions_expires_at")
        .on("sessions")
        .column("expires_at")
        .execute();

      await db.schema
        .createTable("password_reset_tokens")
        .$call(withIdColumn(dialect))
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().unique().references("users.id").onDelete("cascade"),
        )
        .addColumn("token_hash", "text", (col) => col.notNull().unique())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("password_reset_tokens_expires_at")
        .on("password_reset_tokens")
        .column("expires_at")
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      // Only for development roll-backs: the service itself never migrates down.
      await db.schema.dropTable("password_reset_tokens").execute();
      await db.schema.dropTable("sessions").execute();
      await db.schema.dropTable("users").execute();
    },
  };
}

/** An auto-incrementing integer primary key: SQLite's rowid alias, PostgreSQL's bigserial. */
export function withIdColumn(dialect: Dialect) {
  return <T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, "id"> =>
    dialect === "postgres"
      ? table.addColumn("id", "bigserial", (col) => col.primaryKey())
      : table.addColumn("id", "integer", (col) => col.primaryKey().autoIncrement());
}
