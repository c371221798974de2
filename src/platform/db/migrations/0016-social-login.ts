import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * Sign in with another identity provider (CONTRACT.md Part 3 G):
 * - `social_providers`: each registered provider (an OpenID issuer found by
 *   discovery, or GitHub's OAuth 2 endpoints), its client secret sealed
 *   under SECRET_KEY (the service sends it back to the provider);
 * - `social_identities`: an upstream account (provider, subject) linked to a
 *   user, going with the user;
 * - `social_flows`: one row per sign-in under way, found by the SHA-256 of
 *   its `state` and deleted by its one use, holding the nonce and PKCE
 *   verifier sealed, for ten minutes;
 * - `social_link_requests`: an identity whose email an account already has,
 *   waiting (by the SHA-256 of a token) for that account's password.
 */
export function socialLoginMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("social_providers")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("kind", "text", (col) => col.notNull())
        .addColumn("issuer", "text", (col) => col.notNull())
        .addColumn("authorization_endpoint", "text")
        .addColumn("token_endpoint", "text")
        .addColumn("userinfo_endpoint", "text")
        .addColumn("client_id", "text", (col) => col.notNull())
        .addColumn("client_secret_sealed", "text", (col) => col.notNull())
        .addColumn("scopes", "text", (col) => col.notNull().defaultTo(""))
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createTable("social_identities")
        .$call(withIdColumn(dialect))
        .addColumn("public_id", "text", (col) => col.notNull().unique())
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("provider_id", "text", (col) => col.notNull())
        .addColumn("subject", "text", (col) => col.notNull())
        .addColumn("email", "text")
        .addColumn("linked_at", "bigint", (col) => col.notNull())
        .addUniqueConstraint("social_identities_provider_subject", ["provider_id", "subject"])
        .execute();
      await db.schema
        .createIndex("social_identities_user_id")
        .on("social_identities")
        .column("user_id")
        .execute();
      await db.schema
        .createTable("social_flows")
        .addColumn("state_hash", "text", (col) => col.primaryKey())
        .addColumn("provider_id", "text", (col) => col.notNull())
        .addColumn("sealed", "text", (col) => col.notNull())
        .addColumn("return_to", "text")
        .addColumn("link_user_id", "bigint", (col) =>
          col.references("users.id").onDelete("cascade"),
        )
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("social_flows_expires_at")
        .on("social_flows")
        .column("expires_at")
        .execute();
      await db.schema
        .createTable("social_link_requests")
        .addColumn("token_hash", "text", (col) => col.primaryKey())
        .addColumn("user_id", "bigint", (col) =>
          col.notNull().references("users.id").onDelete("cascade"),
        )
        .addColumn("provider_id", "text", (col) => col.notNull())
        .addColumn("subject", "text", (col) => col.notNull())
        .addColumn("email", "text")
        .addColumn("return_to", "text")
        .addColumn("expires_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("social_link_requests_expires_at")
        .on("social_link_requests")
        .column("expires_at")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("social_link_requests").execute();
      await db.schema.dropTable("social_flows").execute();
      await db.schema.dropTable("social_identities").execute();
      await db.schema.dropTable("social_providers").execute();
    },
  };
}
