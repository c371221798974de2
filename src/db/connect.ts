import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { parseDatabaseUrl } from "./database-url.js";
import type { Database, Dialect } from "./schema.js";

export interface DatabaseOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, or `postgres://...` / `postgresql://...`. */
  url: string;
  /** Most connections the PostgreSQL pool opens (ignored for SQLite). */
  poolSize?: number;
}

export interface Connection {
  dialect: Dialect;
  db: Kysely<Database>;
}

/** Opens the database a URL names, with the settings the service relies on. */
export function connect(options: DatabaseOptions): Connection {
  const { dialect, location } = parseDatabaseUrl(options.url);
  if (dialect === "postgres") {
    const pool = new pg.Pool({ connectionString: location, max: options.poolSize ?? 10 });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on("error", () => {});
    return { dialect, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
  }
  const database = new BetterSqlite3(location);
  // WAL lets readers run beside the writer (and several processes share one file);
  // the busy timeout makes a writer wait for a lock instead of failing at once.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  return { dialect, db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }) };
}
