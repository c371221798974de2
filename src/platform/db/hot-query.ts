import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import { type CompiledQuery, type Kysely, PostgresAdapter } from "kysely";
import { msLeft } from "../runtime/request-deadline.js";
import { withParameters } from "./compiled-query.js";
import { busyRetryDelayMs, GroupCommit } from "./group-commit.js";
import { PgGroupCommit } from "./pg-group-commit.js";
import { isBusy } from "./sqlite-lock-wait.js";

/** Outside a request, how long a statement waits for another process's write lock (connect's default). */
const WAIT_OUTSIDE_REQUEST_MS = 5000;

/**
 * A statement that runs many times a second (the OpenID provider's token
 * lookups and writes), built and compiled by Kysely once rather than per
 * call: compiling cost more CPU than a primary-key lookup itself (measured,
 * as for the session lookup).
 *
 * Over SQLite it runs on the one raw connection, as the session cache's
 * lookup does, skipping the driver's queue and promise chain: a read at
 * once, a write with the other writes of its turn of the event loop in one
 * commit (GroupCommit). Over PostgreSQL a write goes with the other writes
 * of its turn in one statement (PgGroupCommit). Over SQLite it goes through
 * Kysely's driver instead whenever that could be wrong or must wait:
 *
 * - inside an open transaction of the connection (another request's unit
 *   of work, which could still roll back and must not carry this statement);
 * - when another process's write lock is still held at the request's
 *   deadline: the driver then answers as it does for any statement.
 */
export class HotQuery<Row> {
  readonly #db: Kysely<never>;
  readonly #compiled: CompiledQuery<Row>;
  readonly #sqlite: BetterSqlite3.Database | undefined;
  readonly #pgGroup: PgGroupCommit | undefined;
  #statement: BetterSqlite3.Statement | undefined;

  /**
   * `alone`: over PostgreSQL, the write is never grouped. For a write whose
   * answer decides what follows (a consume: false means a reuse), since a
   * group waits for its slowest write: one write held by another
   * transaction's row lock would hold the others past their deadlines, and
   * a write answered as failed could still commit once the lock is freed.
   */
  constructor(
    db: Kysely<never>,
    compiled: CompiledQuery<Row>,
    sqlite: BetterSqlite3.Database | undefined,
    options: { alone?: boolean } = {},
  ) {
    this.#db = db;
    this.#compiled = compiled;
    this.#sqlite = sqlite;
    this.#pgGroup =
      !sqlite &&
      !options.alone &&
      db.getExecutor().adapter instanceof PostgresAdapter &&
      PgGroupCommit.accepts(compiled)
        ? PgGroupCommit.of(db)
        : undefined;
  }

  /** The rows it returns with these parameters, in the compiled query's order. */
  async rows(parameters: readonly unknown[]): Promise<Row[]> {
    const driver = async () =>
      (await this.#db.executeQuery(withParameters(this.#compiled, parameters))).rows as Row[];
    const giveUpAt = Date.now() + msLeft(WAIT_OUTSIDE_REQUEST_MS);
    for (let attempt = 0; ; attempt++) {
      const statement = this.#rawStatement();
      if (!statement) return driver();
      try {
        return statement.all(...parameters) as Row[];
      } catch (error) {
        // A WAL reader is refused only briefly (another connection recovering the WAL).
        if (!isBusy(error)) throw error;
      }
      if (Date.now() >= giveUpAt) return driver();
      const delay = busyRetryDelayMs(attempt);
      await (delay === 0 ? nextTurn() : sleep(delay));
    }
  }

  /**
   * How many rows a write changed. `rowKey` names the row it writes, when
   * it writes one: over PostgreSQL two writes of one row never share a
   * statement.
   */
  async changes(parameters: readonly unknown[], rowKey?: string): Promise<number> {
    const deadline = Date.now() + msLeft(WAIT_OUTSIDE_REQUEST_MS);
    if (this.#pgGroup) return this.#pgGroup.write(this.#compiled, parameters, rowKey, deadline);
    const driver = async () =>
      Number(
        (await this.#db.executeQuery(withParameters(this.#compiled, parameters))).numAffectedRows ??
          0n,
      );
    const statement = this.#rawStatement();
    if (!statement) return driver();
    return GroupCommit.of(this.#sqlite as BetterSqlite3.Database).write(
      () => statement.run(...parameters).changes,
      driver,
      deadline,
    );
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
