import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, type SqliteDatabase } from "kysely";
import pg from "pg";
import { parseDatabaseUrl } from "./database-url.js";
import { DeadlinePool } from "./deadline-pool.js";
import type { PoolState } from "./pool-state.js";
import type { Database, Dialect } from "./schema.js";
import { TunedSqliteDialect } from "./sqlite-dialect.js";
import { SYNC_BUSY_TIMEOUT_MS } from "./sqlite-lock-wait.js";

export interface DatabaseOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, or `postgres://...` / `postgresql://...`. */
  url: string;
  /** Most connections the PostgreSQL pool opens (ignored for SQLite). */
  poolSize?: number;
  /**
   * Longest wait, in ms, for a connection, a query (PostgreSQL) or a write lock
   * (SQLite) before the operation fails and the request gets 503. Default 5000.
   */
  timeoutMs?: number;
}

export interface Connection {
  dialect: Dialect;
  db: Kysely<Database>;
  /** Connections open, idle and waited for, read when /metrics is scraped. */
  poolState(): PoolState;
  /** The raw SQLite connection (for the session cache); absent for PostgreSQL. */
  sqlite?: BetterSqlite3.Database;
}

/** Opens the database a URL names, with the settings the service relies on. */
export function connect(options: DatabaseOptions): Connection {
  const { dialect, location } = parseDatabaseUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 5000;
  if (dialect === "postgres") {
    const pool = new pg.Pool({
      connectionString: location,
      max: options.poolSize ?? 10,
      // Bounded waits: an unreachable server becomes a 503 in seconds, never a
      // hung request. Within a request, DeadlinePool bounds them tighter: the
      // wait for a connection and the queries share the request's deadline.
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
      Client: QuietClient,
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on("error", () => {});
    return {
      dialect,
      db: new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new DeadlinePool(pool, timeoutMs) }),
      }),
      poolState: () => ({
        size: pool.options.max ?? 10,
        open: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
    };
  }
  // A writer waits for another process's lock briefly in SQLite's busy
  // handler (synchronously: the process waits with it), then asynchronously
  // until the request's deadline (sqlite-lock-wait.ts).
  const database = new BetterSqlite3(location, {
    timeout: Math.min(Math.trunc(timeoutMs), SYNC_BUSY_TIMEOUT_MS),
  });
  // WAL lets readers run beside the writer (and several processes share one file).
  enableWal(database, timeoutMs);
  database.pragma("synchronous = NORMAL");
  // A checkpoint every 4,000 pages (16 MB of WAL) instead of SQLite's 1,000:
  // a page written again before the checkpoint is copied to the database
  // once, and each checkpoint's two fsyncs are paid a quarter as often.
  // Measured: +25% refresh grants/s with two workers, and a lower p99 (the
  // checkpoint runs inside the committing write, the event loop waiting).
  database.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  database.pragma("foreign_keys = ON");
  const sqliteDialect = new TunedSqliteDialect(
    { database: withStatementCache(database) },
    {
      timeoutMs,
      inTransaction: () => database.inTransaction,
      allowSchemaEdits: (allowed) => database.unsafeMode(allowed),
    },
  );
  return {
    dialect,
    db: new Kysely<Database>({ dialect: sqliteDialect }),
    poolState: () => sqliteDialect.poolState(),
    sqlite: database,
  };
}

/**
 * Switches a new file to WAL. Two processes opening the same new file at once
 * (two `serve` started together) both hold a read lock and both ask for the
 * write lock the switch needs; SQLite answers one of them SQLITE_BUSY at once,
 * without waiting out the busy timeout, because waiting could never succeed.
 * That one retries after the other has finished, until the timeout.
 */
function enableWal(database: BetterSqlite3.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      database.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline)
        throw error;
      sleepSync(10 + Math.random() * 20);
    }
  }
}

/** Blocks the thread; used only while opening the database, before any request. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A pg client that never crashes the process with an unhandled 'error' event.
 * pg-pool stops listening to a client whose connection attempt timed out; if
 * that socket dies later (the network comes back, the server restarts), the
 * client emits 'error' with no listener. Queries still see every failure as a
 * rejected promise, which the store maps to 503.
 */
class QuietClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on("error", () => {});
  }
}

/** Pages of WAL between checkpoints (see connect). */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

/** More distinct SQL texts than the service ever issues; the bound only guards against a runaway. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, and preparing costs better-sqlite3 more
 * than running a primary-key lookup (a quarter of a /profile request's CPU,
 * measured). Kysely only needs prepare() and close(), so it gets a database
 * whose prepare() hands back one cached statement per SQL text.
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          statements.delete(statements.keys().next().value as string);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
