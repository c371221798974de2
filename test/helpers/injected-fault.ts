import BetterSqlite3 from "better-sqlite3";
import pg from "pg";

/** Rows of a query written by the test, read on a connection of the test's own (SQLite or PostgreSQL). */
export async function selectRows<T extends Record<string, unknown>>(
  databaseUrl: string,
  query: string,
): Promise<T[]> {
  if (databaseUrl.startsWith("sqlite:")) {
    const database = new BetterSqlite3(databaseUrl.slice("sqlite:".length), { readonly: true });
    try {
      return database.prepare(query).all() as T[];
    } finally {
      database.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(query)).rows as T[];
  } finally {
    await client.end();
  }
}

async function execute(databaseUrl: string, statements: readonly string[]): Promise<void> {
  if (databaseUrl.startsWith("sqlite:")) {
    const database = new BetterSqlite3(databaseUrl.slice("sqlite:".length));
    try {
      // The service holds the file open too: wait for its write lock rather than fail.
      database.pragma("busy_timeout = 5000");
      for (const statement of statements) database.exec(statement);
    } finally {
      database.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The message every injected fault fails with. */
export const INJECTED_FAULT = "injected fault";

/**
 * Makes every INSERT into `table` whose new row matches `when` (SQL over
 * NEW, e.g. "NEW.event = 'mfa_enabled'") fail, with a trigger in the
 * database itself: the insert fails inside whatever transaction makes it,
 * as a full disk or a lost connection at that statement would. Returns the
 * function that takes the fault away.
 */
export async function injectFault(
  databaseUrl: string,
  table: string,
  when: string,
): Promise<() => Promise<void>> {
  const trigger = `injected_fault_${table}`;
  if (databaseUrl.startsWith("sqlite:")) {
    await execute(databaseUrl, [
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} WHEN ${when}
         BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT}'); END`,
    ]);
  } else {
    await execute(databaseUrl, [
      `CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION '${INJECTED_FAULT}'; END $$`,
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${when})
         EXECUTE FUNCTION injected_fault()`,
    ]);
  }
  return () =>
    execute(databaseUrl, [
      databaseUrl.startsWith("sqlite:")
        ? `DROP TRIGGER ${trigger}`
        : `DROP TRIGGER ${trigger} ON ${table}`,
    ]);
}
