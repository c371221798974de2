import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * How a login's password step came in (form, JSON, Basic, the hosted page),
 * kept with its second step's challenge: POST /sessions/mfa answers as that
 * login would have, with the session token in the body for a program that
 * logged in by JSON or Basic. Challenges from before it (null) live 5 minutes
 * at most and answer as a form login did.
 */
export function mfaFirstStepMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("mfa_challenges").addColumn("first_step", "text").execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("mfa_challenges").dropColumn("first_step").execute();
    },
  };
}
