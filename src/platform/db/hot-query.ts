import type BetterSqlite3 from "better-sqlite3";
import type { CompiledQuery, Kysely } from "kysely";
import { withParameters } from "./compiled-query.js";

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
 * - when another process holds the write lock past SQLite's short
 *   synchronous wait (SQLITE_BUSY): the driver waits for it without
 *   blocking the event loop, up to the request's deadline.
 */
export class HotQuery<Row> {
  readonly #db: Kysely<never>;
  readonly #compiled: CompiledQuery<Row>;
  readonly #sqlite: BetterSqlite3.Database | undefined;
  #statement: BetterSqlite3.Statement | undefined;

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
    const statement = this.#rawStatement();
    if (statement) {
      try {
        return statement.all(...parameters) as Row[];
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
    const result = await this.#db.executeQuery(withParameters(this.#compiled, parameters));
    return result.rows as Row[];
  }

  /** How many rows a write changed. */
  async changes(parameters: readonly unknown[]): Promise<number> {
    const statement = this.#rawStatement();
    if (statement) {
      try {
        return statement.run(...parameters).changes;
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
    const result = await this.#db.executeQuery(withParameters(this.#compiled, parameters));
    return Number(result.numAffectedRows ?? 0n);
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
