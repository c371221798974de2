import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The language a queued mail is written in (en, de, fr, es): the language of
 * the request that asked for it (the pages' switcher, else Accept-Language),
 * kept with the row, since the outbox composes each mail when it sends it.
 * Null: none was known (rows from before it too); DEFAULT_LANGUAGE then.
 */
export function mailLanguageMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("mail_outbox").addColumn("language", "text").execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("mail_outbox").dropColumn("language").execute();
    },
  };
}
