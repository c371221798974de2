import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * An endpoint's own backoff: its failed attempts in a row and the time before
 * which none of its deliveries is attempted. Kept in the database, so every
 * instance and worker over it backs off from a failing endpoint alike.
 * Endpoints that exist start healthy (0, 0).
 */
export function webhookEndpointBackoffMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable("webhook_endpoints")
        .addColumn("failures", "integer", (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("webhook_endpoints")
        .addColumn("retry_at", "bigint", (col) => col.notNull().defaultTo(0))
        .execute();
      // The claim counts each endpoint's deliveries in flight.
      await db.schema
        .createIndex("webhook_deliveries_endpoint_lease")
        .on("webhook_deliveries")
        .columns(["endpoint_id", "locked_until"])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex("webhook_deliveries_endpoint_lease").execute();
      await db.schema.alterTable("webhook_endpoints").dropColumn("retry_at").execute();
      await db.schema.alterTable("webhook_endpoints").dropColumn("failures").execute();
    },
  };
}
