import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * A user may hold several live reset tokens: a new request no longer voids
 * the one already mailed, so nobody who knows an email can keep its owner's
 * link dead by asking again (the quotas bound how many exist; any completed
 * reset voids them all). Drops the unique index on user_id and adds a plain one.
 */
export function resetTokensPerRequestMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === "postgres") {
        await sql`ALTER TABLE password_reset_tokens DROP CONSTRAINT password_reset_tokens_user_id_key`.execute(
          db,
        );
      } else {
        // SQLite cannot drop a column constraint: the table is rebuilt.
        await db.schema
          .createTable("password_reset_tokens_new")
          .$call(withIdColumn(dialect))
          .addColumn("user_id", "bigint", (col) =>
            col.notNull().references("users.id").onDelete("cascade"),
          )
          .addColumn("token_hash", "text", (col) => col.notNull().unique())
          .addColumn("created_at", "bigint", (col) => col.notNull())
          .addColumn("expires_at", "bigint", (col) => col.notNull())
          .execute();
        await sql`INSERT INTO password_reset_tokens_new (id, user_id, token_hash, created_at, expires_at)
          SELECT id, user_id, token_hash, created_at, expires_at FROM password_reset_tokens`.execute(
          db,
        );
        await db.schema.dropTable("password_reset_tokens").execute();
        await db.schema
          .alterTable("password_reset_tokens_new")
          .renameTo("password_reset_tokens")
          .execute();
        await db.schema
          .createIndex("password_reset_tokens_expires_at")
          .on("password_reset_tokens")
          .column("expires_at")
          .execute();
      }
      await db.schema
        .createIndex("password_reset_tokens_user_id")
        .on("password_reset_tokens")
        .column("user_id")
        .execute();
    },
    async down(): Promise<void> {
      throw new Error(
        "0004-reset-tokens-per-request cannot be undone: users may hold several tokens",
      );
    },
  };
}
