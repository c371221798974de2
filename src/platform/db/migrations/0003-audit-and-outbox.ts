import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";
import { withIdColumn } from "./0001-init.js";

/** The audit trail and the mail outbox; see schema.ts for what each column means. */
export function auditAndOutboxMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("audit_log")
        .$call(withIdColumn(dialect))
        .addColumn("at", "bigint", (col) => col.notNull())
        .addColumn("event", "text", (col) => col.notNull())
        .addColumn("outcome", "text", (col) => col.notNull())
        .addColumn("user_id", "bigint")
        .addColumn("email", "text")
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .addColumn("repeats", "integer", (col) => col.notNull().defaultTo(1))
        .execute();
      // Retention deletes by time; `audit --email` reads one email's events in time order.
      await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
      await db.schema
        .createIndex("audit_log_email_at")
        .on("audit_log")
        .columns(["email", "at"])
        .execute();

      await db.schema
        .createTable("mail_outbox")
        .$call(withIdColumn(dialect))
        .addColumn("kind", "text", (col) => col.notNull())
        .addColumn("email", "text", (col) => col.notNull())
        .addColumn("created_at", "bigint", (col) => col.notNull())
        .addColumn("attempts", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint", (col) => col.notNull())
        .addColumn("locked_until", "bigint", (col) => col.notNull().defaultTo(0))
        .addColumn("status", "text", (col) => col.notNull().defaultTo("pending"))
        .addColumn("last_error", "text")
        .execute();
      await db.schema
        .createIndex("mail_outbox_due")
        .on("mail_outbox")
        .columns(["status", "next_attempt_at"])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("mail_outbox").execute();
      await db.schema.dropTable("audit_log").execute();
    },
  };
}
