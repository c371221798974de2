import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * Verified addresses and email changes: when a user's address was verified
 * (null: never, which is what users created before this migration and users
 * imported from the original service get: with EMAIL_VERIFICATION=required
 * their next login mails them a link, and `auth-service user verify` marks
 * one verified); the tokens that verify an address or confirm a change; the
 * outbox's reference to the token a mail carries; and whether a reset token
 * went out by mail (completing such a reset proves the address).
 */
export function emailVerificationMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("users").addColumn("email_verified_at", "bigint").execute();
      await db.schema
        .createTable("email_tokens")
        .$call(withIdColumn(dialect))
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("purpose", "text", (col) => col.notNull())
        .addColumn("email", "text", (col) => col.notNull())
        .addColumn("email_normalized", "text", (col) => col.notNull())
        .addColumn("token_hash", "text", (col) => col.notNull().unique())
        .addColumn("session_public_id", "text")
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("email_tokens_user_id")
        .on("email_tokens")
        .column("user_id")
        .execute();
      await db.schema.alterTable("mail_outbox").addColumn("ref_id", "bigint").execute();
      await db.schema
        .alterTable("password_reset_tokens")
        .addColumn("mailed", "integer", (col) => col.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("password_reset_tokens").dropColumn("mailed").execute();
      await db.schema.alterTable("mail_outbox").dropColumn("ref_id").execute();
      await db.schema.dropTable("email_tokens").execute();
      await db.schema.alterTable("users").dropColumn("email_verified_at").execute();
    },
  };
}
