import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/**
 * Webhook endpoints and their delivery queue; see schema.ts for the columns.
 * The queue has the mail outbox's lease columns, so leased-queue.ts claims
 * both alike; a removed endpoint takes its pending deliveries with it.
 */
export function webhooksMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("webhook_endpoints")
        .$call(withIdColumn(dialect))
        .addColumn("url", "text", (col) => col.notNull())
        .addColumn("events", "text", (col) => col.notNull())
        .addColumn("secret_sealed", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .execute();
      await db.schema
        .createTable("webhook_deliveries")
        .$call(withIdColumn(dialect))
        .addColumn("endpoint_id", "bigint", (col) =>
          col.notNull().references("webhook_endpoints.id").onDelete("cascade"),
        )
        .addColumn("message_id", "text", (col) => col.notNull())
        .addColumn("event_type", "text", (col) => col.notNull())
        .addColumn("payload", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("attempts", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint", (col) => col.notNull())
        .addColumn("locked_until", "bigint", (col) => col.notNull().defaultTo(0))
        .addColumn("status", "text", (col) => col.notNull().defaultTo("pending"))
        .addColumn("last_error", "text")
        .execute();
      await db.schema
        .createIndex("webhook_deliveries_due")
        .on("webhook_deliveries")
        .columns(["status", "next_attempt_at"])
        .execute();
      await db.schema
        .createIndex("webhook_deliveries_endpoint")
        .on("webhook_deliveries")
        .column("endpoint_id")
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("webhook_deliveries").execute();
      await db.schema.dropTable("webhook_endpoints").execute();
    },
  };
}
