import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * Two-factor authentication: one TOTP factor per user (its secret sealed),
 * recovery codes (scrypt hashes), and the second steps of logins in
 * progress (mfa_token hashes). All go with their user.
 */
export function secondFactorMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("totp_factors")
        .addColumn("user_id", "bigint", (col) =>
          col.primaryKey().references("users.id").onDelete("cascade"),
        )
        .addColumn("secret_sealed", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("enabled_at", "bigint")
        .addColumn("last_used_step", "bigint")
        .execute();
      await db.schema
        .createTable("recovery_codes")
        .$call(withIdColumn(dialect))
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("salt", "text", (col) => col.notNull())
        .addColumn("code_hash", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema
        .createIndex("recovery_codes_user_id")
        .on("recovery_codes")
        .column("user_id")
        .execute();
      await db.schema
        .createTable("mfa_challenges")
        .$call(withIdColumn(dialect))
        .addColumn("token_hash", "text", (col) => col.notNull().unique())
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .addColumn("failures", "integer", (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex("mfa_challenges_user_id")
        .on("mfa_challenges")
        .column("user_id")
        .execute();
      await db.schema
        .createIndex("mfa_challenges_expires_at")
        .on("mfa_challenges")
        .column("expires_at")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("mfa_challenges").execute();
      await db.schema.dropTable("recovery_codes").execute();
      await db.schema.dropTable("totp_factors").execute();
    },
  };
}
