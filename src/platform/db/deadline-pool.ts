import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";
import { DeadlineExceededError, msLeft } from "../runtime/request-deadline.js";

/**
 * The pg pool as Kysely sees it, with every wait bounded by what is left of
 * the request's deadline (request-deadline.ts) rather than by a timeout of
 * its own: the wait for a pooled connection, then each query, share one
 * budget. `timeoutMs` applies outside a request.
 *
 * A query that timed out leaves its connection busy (the server may still
 * answer, or never): that connection refuses every later query at once (so
 * a transaction's ROLLBACK does not wait a second time) and is closed when
 * released, never handed to another request. Closing it also makes the
 * server roll back an open transaction that was never committed.
 */
export class DeadlinePool implements PostgresPool {
  readonly #pool: pg.Pool;
  readonly #timeoutMs: number;
  readonly #clients = new WeakMap<pg.PoolClient, DeadlineClient>();

  constructor(pool: pg.Pool, timeoutMs: number) {
    this.#pool = pool;
    this.#timeoutMs = timeoutMs;
  }

  get options(): object {
    return this.#pool.options;
  }

  async connect(): Promise<PostgresPoolClient> {
    const waitMs = msLeft(this.#timeoutMs);
    if (waitMs <= 0) throw new DeadlineExceededError("a database connection");
    const connecting = this.#pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceededError("a database connection")), waitMs);
    });
    try {
      const client = await Promise.race([connecting, late]);
      let wrapped = this.#clients.get(client);
      if (!wrapped) {
        wrapped = new DeadlineClient(client, this.#timeoutMs);
        this.#clients.set(client, wrapped);
      }
      return wrapped as unknown as PostgresPoolClient;
    } catch (error) {
      // Given up on: the connection, if it comes after all, goes straight back.
      connecting.then(
        (client) => client.release(),
        () => {},
      );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  end(): Promise<void> {
    return this.#pool.end();
  }
}

class DeadlineClient {
  readonly #client: pg.PoolClient;
  readonly #timeoutMs: number;
  /** A query on it timed out: its answer may still come, so nobody else may use it. */
  #stuck = false;

  constructor(client: pg.PoolClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  get processID(): number | undefined {
    return (this.#client as unknown as { processID?: number }).processID;
  }

  // Kysely's cursor form of query() is never used here (no streaming reads).
  async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const waitMs = msLeft(this.#timeoutMs);
    if (this.#stuck || waitMs <= 0) {
      this.#stuck = true;
      throw new DeadlineExceededError("the database to answer");
    }
    try {
      // pg reads query_timeout from a query's config as well as the client's.
      const config = {
        text: sql,
        values: parameters as unknown[],
        query_timeout: Math.max(1, Math.ceil(waitMs)),
      } as pg.QueryConfig;
      const result = await this.#client.query(config);
      return result as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if ((error as Error).message === "Query read timeout") this.#stuck = true;
      throw error;
    }
  }

  release(destroy?: boolean): void {
    const stuck = this.#stuck;
    this.#stuck = false;
    // pg-pool closes a client released with a truthy argument instead of keeping it.
    this.#client.release(destroy || stuck);
  }
}
