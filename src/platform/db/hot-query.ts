import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import type { CompiledQuery, Kysely } from "kysely";
import { msLeft } from "../runtime/request-deadline.js";
import { withParameters } from "./compiled-query.js";

/** Outside a request, how long a statement waits for another process's write lock (connect's default). */
const WAIT_OUTSIDE_REQUEST_MS = 5000;

/** Pauses between tries for the write lock: the next turn of the event loop first (a write holds it ~0.1 ms). */
const RETRY_DELAYS_MS = [0, 1, 1, 2, 5, 10, 20, 40];

/**
 * A statement that runs many times a second (the OpenID provider's token
 * lookups and writes), built and compiled by Kysely once rather than per
 * call: compiling cost more CPU than a primary-key lookup itself (measured,
 * as for the session lookup).
 *
 * Over SQLite it runs synchronously on the one raw connection, as the
 * session cache's lookup does, skipping the driver's queue and promise
 * chain; a write commits on its own there (autocommit). It goes through
 * Kysely's driver instead whenever that could be wrong or must wait:
 *
 * - inside an open transaction of the connection (another request's unit
 *   of work, which could still roll back and must not carry this statement);
 * - when another process's write lock is still held at the request's
 *   deadline: the driver then answers as it does for any statement.
 *
 * A raw write does not wait for another process's write lock in SQLite's
 * busy handler, which sleeps synchronously (at least 1 ms, while the lock is
 * held for about 0.1 ms) with every other request of the process waiting:
 * with `--workers`, that sleep was where a second worker's refresh grants
 * went (+17% refresh grants/s with two workers without it). It tries again
 * on the event loop's next turns instead.
 */
export class HotQuery<Row> {
  readonly #db: Kysely<never>;
  readonly #compiled: CompiledQuery<Row>;
  readonly #sqlite: BetterSqlite3.Database | undefined;
  #statement: BetterSqlite3.Statement | undefined;
  #busyTimeout: { zero: BetterSqlite3.Statement; restore: BetterSqlite3.Statement } | undefined;

  constructor(
    db: Kysely<never>,
    compiled: CompiledQuery<Row>,
    sqlite: BetterSqlite3.Database | undefined,
  ) {
    this.#db = db;
    this.#compiled = compiled;
    this.#sqlite = sqlite;
  }

  /** The rows it returns with these parameters, in the compiled query's order. */
  async rows(parameters: readonly unknown[]): Promise<Row[]> {
    return this.#run(
      (statement) => statement.all(...parameters) as Row[],
      async () =>
        (await this.#db.executeQuery(withParameters(this.#compiled, parameters))).rows as Row[],
    );
  }

  /** How many rows a write changed. */
  async changes(parameters: readonly unknown[]): Promise<number> {
    return this.#run(
      (statement) => statement.run(...parameters).changes,
      async () =>
        Number(
          (await this.#db.executeQuery(withParameters(this.#compiled, parameters)))
            .numAffectedRows ?? 0n,
        ),
    );
  }

  async #run<T>(
    raw: (statement: BetterSqlite3.Statement) => T,
    driver: () => Promise<T>,
  ): Promise<T> {
    const giveUpAt = Date.now() + msLeft(WAIT_OUTSIDE_REQUEST_MS);
    for (let attempt = 0; ; attempt++) {
      const statement = this.#rawStatement();
      if (!statement) return driver();
      try {
        return statement.reader ? raw(statement) : this.#withoutBusyWait(() => raw(statement));
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
      if (Date.now() >= giveUpAt) return driver();
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] ?? 40;
      await (delay === 0 ? nextTurn() : sleep(delay));
    }
  }

  /** Runs a write with SQLite's busy timeout at zero: SQLITE_BUSY at once if the lock is taken. */
  #withoutBusyWait<T>(write: () => T): T {
    const sqlite = this.#sqlite as BetterSqlite3.Database;
    this.#busyTimeout ??= {
      zero: sqlite.prepare("PRAGMA busy_timeout = 0"),
      restore: sqlite.prepare(
        `PRAGMA busy_timeout = ${Number(sqlite.pragma("busy_timeout", { simple: true }))}`,
      ),
    };
    this.#busyTimeout.zero.get();
    try {
      return write();
    } finally {
      this.#busyTimeout.restore.get();
    }
  }

  /** The prepared statement when it may run raw now; undefined otherwise. */
  #rawStatement(): BetterSqlite3.Statement | undefined {
    const sqlite = this.#sqlite;
    if (!sqlite || sqlite.inTransaction || !sqlite.open) return undefined;
    // Prepared at first use: the tables exist only once migrations have run.
    this.#statement ??= sqlite.prepare(this.#compiled.sql);
    return this.#statement;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
