import BetterSqlite3 from "better-sqlite3";
import pg from "pg";

/**
 * How many rows of `table` match `where` (SQL written by the test), read on
 * a connection of the test's own, as an operator would check what was
 * committed: SQLite files and PostgreSQL alike.
 */
export async function countRows(
  databaseUrl: string,
  table: string,
  where = "1 = 1",
): Promise<number> {
  const query = `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`;
  if (databaseUrl.startsWith("sqlite:")) {
    const database = new BetterSqlite3(databaseUrl.slice("sqlite:".length), { readonly: true });
    try {
      return Number((database.prepare(query).get() as { n: number }).n);
    } finally {
      database.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(query)).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
