import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * Passkeys (WebAuthn credentials) and the challenges of their ceremonies.
 * A passkey keeps its public key (COSE, base64url), its signature counter,
 * transports, backup flags and AAGUID; never a private key, which stays in
 * the authenticator. A challenge is kept only as its SHA-256, for 5 minutes,
 * and is deleted by its one use. Both go with their user.
 */
export function passkeysMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("passkeys")
        .$call(withIdColumn(dialect))
        .addColumn("public_id", "text", (col) => col.notNull().unique())
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("credential_id", "text", (col) => col.notNull().unique())
        .addColumn("public_key", "text", (col) => col.notNull())
        .addColumn("counter", "bigint", (col) => col.notNull().defaultTo(0))
        .addColumn("transports", "text", (col) => col.notNull().defaultTo(""))
        .addColumn("user_handle", "text", (col) => col.notNull())
        .addColumn("backup_eligible", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("backed_up", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("aaguid", "text", (col) => col.notNull())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("last_used_at", "bigint")
        .execute();
      await db.schema.createIndex("passkeys_user_id").on("passkeys").column("user_id").execute();
      await db.schema
        .createTable("passkey_challenges")
        .$call(withIdColumn(dialect))
        .addColumn("challenge_hash", "text", (col) => col.notNull().unique())
        .addColumn("purpose", "text", (col) => col.notNull())
        .addColumn("user_id", "bigint", (col) => col.references("users.id").onDelete("cascade"))
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("passkey_challenges_expires_at")
        .on("passkey_challenges")
        .column("expires_at")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("passkey_challenges").execute();
      await db.schema.dropTable("passkeys").execute();
    },
  };
}
