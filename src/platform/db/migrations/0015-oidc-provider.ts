import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/** A new `sub`: 128 random bits, base64url; never the email or the sequential id. */
export function newSubject(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The OpenID Connect provider (CONTRACT.md Part 2 F): each user's stable
 * opaque `sub` (existing users get one now, new ones at their first sign-in
 * through the provider) with the time their provider sessions and refresh
 * tokens were last ended; everything oidc-provider keeps (one row per model
 * and id, with its grant, user code, uid and expiry for the lookups and the
 * purge); the registered clients (a confidential client's secret only as its
 * SHA-256); the signing keys (private JWK sealed under SECRET_KEY).
 */
export function oidcProviderMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("oidc_subjects")
        .addColumn("user_id", "bigint", (col) =>
          col.primaryKey().references("users.id").onDelete("cascade"),
        )
        .addColumn("sub", "text", (col) => col.notNull().unique())
        .addColumn("ended_at", "bigint")
        .execute();
      const users = await (db as Kysely<{ users: { id: number } }>)
        .selectFrom("users")
        .select("id")
        .execute();
      for (const { id } of users) {
        await (db as Kysely<{ oidc_subjects: { user_id: number; sub: string } }>)
          .insertInto("oidc_subjects")
          .values({ user_id: Number(id), sub: newSubject() })
          .execute();
      }
      await db.schema
        .createTable("oidc_payloads")
        .addColumn("model", "text", (col) => col.notNull())
        .addColumn("id", "text", (col) => col.notNull())
        .addColumn("payload", "text", (col) => col.notNull())
        .addColumn("grant_id", "text")
        .addColumn("user_code", "text")
        .addColumn("uid", "text")
        .addColumn("expires_at", "bigint")
        .addColumn("consumed_at", "bigint")
        .addPrimaryKeyConstraint("oidc_payloads_pkey", ["model", "id"])
        .execute();
      for (const column of ["grant_id", "user_code", "uid", "expires_at"] as const) {
        await db.schema
          .createIndex(`oidc_payloads_${column}`)
          .on("oidc_payloads")
          .column(column)
          .execute();
      }
      await db.schema
        .createTable("oidc_clients")
        .addColumn("client_id", "text", (col) => col.primaryKey())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("secret_hash", "text")
        .addColumn("metadata", "text", (col) => col.notNull())
        .addColumn("first_party", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createTable("oidc_keys")
        .$call(withIdColumn(dialect))
        .addColumn("kid", "text", (col) => col.notNull().unique())
        .addColumn("alg", "text", (col) => col.notNull())
        .addColumn("generation", "integer", (col) => col.notNull())
        .addColumn("public_jwk", "text", (col) => col.notNull())
        .addColumn("private_jwk", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("retired_at", "bigint")
        .addUniqueConstraint("oidc_keys_alg_generation", ["alg", "generation"])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ["oidc_keys", "oidc_clients", "oidc_payloads", "oidc_subjects"])
        await db.schema.dropTable(table).execute();
    },
  };
}
