import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { Dialect } from "../schema.js";

const REQUIRED = `"hashed_password" text not null`;
const OPTIONAL = `"hashed_password" text`;

/**
 * `users.hashed_password` may be null: an account can exist without a
 * password (one that signs in with a passkey or another provider only).
 * Every password check treats it as a password nobody knows.
 *
 * PostgreSQL drops the constraint. SQLite cannot, and rebuilding the table
 * inside the migration's transaction (where foreign_keys stays on) would
 * either repoint the other tables' REFERENCES at the old table or cascade its
 * DROP into them; so the column's text is edited in place, SQLite's own
 * procedure for removing a NOT NULL constraint (sqlite.org/lang_altertable.html,
 * section 7: the rows on disk do not change), under the migration lock
 * (which allows the schema edit, see sqlite-dialect.ts).
 */
export function usersWithoutPasswordMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === "postgres") {
        await sql`ALTER TABLE users ALTER COLUMN hashed_password DROP NOT NULL`.execute(db);
        return;
      }
      await editUsersColumn(db, REQUIRED, OPTIONAL);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === "postgres") {
        await sql`ALTER TABLE users ALTER COLUMN hashed_password SET NOT NULL`.execute(db);
        return;
      }
      await editUsersColumn(db, OPTIONAL, REQUIRED);
    },
  };
}

async function editUsersColumn(db: Kysely<unknown>, from: string, to: string): Promise<void> {
  const version = await sql<{ schema_version: number }>`PRAGMA schema_version`.execute(db);
  const current = Number(version.rows[0]?.schema_version);
  await sql`PRAGMA writable_schema = ON`.execute(db);
  try {
    const edited = await sql`UPDATE sqlite_schema SET sql = replace(sql, ${`${from},`}, ${`${to},`})
      WHERE type = 'table' AND name = 'users' AND instr(sql, ${`${from},`}) > 0`.execute(db);
    // A users table made some other way: better to stop than to guess.
    if (Number(edited.numAffectedRows) !== 1)
      throw new Error("users.hashed_password is not defined as this migration expects");
    await sql.raw(`PRAGMA schema_version = ${current + 1}`).execute(db);
  } finally {
    await sql`PRAGMA writable_schema = OFF`.execute(db);
  }
  const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db);
  if (check.rows[0]?.integrity_check !== "ok") throw new Error("integrity check failed");
}
