import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

/** The channel each instance's session cache listens on (pg-session-cache.ts). */
export const SESSION_CHANGES_CHANNEL = "auth_session_changes";

/**
 * PostgreSQL only: a NOTIFY on SESSION_CHANGES_CHANNEL for every statement
 * that updates or deletes sessions or users, naming the users concerned
 * (comma-separated ids, or "*" when too many for a payload). A trigger, not
 * the store, sends it: it runs inside the writing transaction, so the notice
 * goes out only if the write commits, and it covers every writer (other
 * instances, the CLI, a DBA's DELETE, cascades from a deleted user).
 * Statement-level with a transition table: a purge of thousands of rows is
 * one notice. PostgreSQL allows a transition table on a one-event trigger
 * only, hence a trigger per event.
 */
export function sessionChangeNoticesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== "postgres") return;
      for (const [table, column] of [
        ["sessions", "user_id"],
        ["users", "id"],
      ] as const) {
        const fn = sql.raw(`auth_notify_${table}_change`);
        await sql`
          CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
          DECLARE ids text;
          BEGIN
            SELECT string_agg(DISTINCT ${sql.raw(column)}::text, ',') INTO ids FROM changed_rows;
            IF ids IS NOT NULL THEN
              PERFORM pg_notify(${sql.lit(SESSION_CHANGES_CHANNEL)},
                CASE WHEN length(ids) > 7000 THEN '*' ELSE ids END);
            END IF;
            RETURN NULL;
          END $$`.execute(db);
        for (const event of ["UPDATE", "DELETE"]) {
          await sql`
            CREATE TRIGGER ${sql.raw(`auth_${table}_${event.toLowerCase()}_notice`)}
            AFTER ${sql.raw(event)} ON ${sql.table(table)}
            REFERENCING OLD TABLE AS changed_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`.execute(db);
        }
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== "postgres") return;
      for (const table of ["sessions", "users"]) {
        for (const event of ["update", "delete"])
          await sql`DROP TRIGGER ${sql.raw(`auth_${table}_${event}_notice`)} ON ${sql.table(table)}`.execute(
            db,
          );
        await sql`DROP FUNCTION ${sql.raw(`auth_notify_${table}_change`)}()`.execute(db);
      }
    },
  };
}
