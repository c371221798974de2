import type { CompiledQuery, DatabaseConnection, QueryResult } from "kysely";
import { msLeft } from "../runtime/request-deadline.js";

/**
 * How long a statement may wait for SQLite's write lock inside SQLite's own
 * busy handler, which sleeps synchronously: the whole process (every other
 * request) waits with it. Past this, the wait goes on here, asynchronously.
 */
export const SYNC_BUSY_TIMEOUT_MS = 50;

/** Sleeps between tries: short first (a write holds the lock well under a millisecond), then longer. */
const RETRY_DELAYS_MS = [2, 5, 10, 20, 40];

/**
 * The one SQLite connection, waiting for another process's write lock (a
 * worker, the CLI, an operator's sqlite3) without blocking the event loop,
 * and no longer than the request's deadline (request-deadline.ts; the
 * configured timeout outside a request): a statement refused with
 * SQLITE_BUSY is tried again after a pause. Only one that left no
 * transaction open is tried again: a write on its own, or the BEGIN
 * IMMEDIATE that starts every transaction (FairSqliteDriver), so a
 * transaction waits for the lock before its first statement, never midway.
 */
export class PatientConnection implements DatabaseConnection {
  readonly #connection: DatabaseConnection;
  readonly #timeoutMs: number;
  readonly #inTransaction: () => boolean;

  constructor(connection: DatabaseConnection, timeoutMs: number, inTransaction: () => boolean) {
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#inTransaction = inTransaction;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const giveUpAt = Date.now() + msLeft(this.#timeoutMs);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#connection.executeQuery<R>(compiledQuery);
      } catch (error) {
        const leftMs = giveUpAt - Date.now();
        if (!isBusy(error) || this.#inTransaction() || leftMs <= 0) throw error;
        const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] ?? 40;
        await new Promise((resolve) => setTimeout(resolve, Math.min(delay, leftMs)));
      }
    }
  }

  streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    return this.#connection.streamQuery<R>(compiledQuery, chunkSize);
  }
}

/** SQLite refused for a lock another connection holds (SQLITE_BUSY and its extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
