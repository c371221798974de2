import {
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from "kysely";
import type { PoolState } from "./pool-state.js";

/**
 * Kysely's SQLite dialect, with two changes: migrations serialized across
 * processes, and a fair queue for the one connection.
 *
 * Kysely takes no migration lock on SQLite (it assumes one process); several
 * workers or instances starting at once over one file would all run the same
 * migration. Here the lock is SQLite's own write lock: BEGIN IMMEDIATE waits
 * (up to busy_timeout) for any other migrator, then holds every other writer
 * off until COMMIT, so the second process finds the work done.
 */
export class TunedSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  #driver: FairSqliteDriver | undefined;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createAdapter(): DialectAdapter {
    return new SqliteAdapterWithMigrationLock();
  }

  override createDriver(): Driver {
    this.#driver = new FairSqliteDriver(this.#config);
    return this.#driver;
  }

  /** The one connection: busy or not, and how many queries wait for it. */
  poolState(): PoolState {
    const busy = this.#driver?.busy ?? false;
    return { size: 1, open: 1, idle: busy ? 0 : 1, waiting: this.#driver?.waiting ?? 0 };
  }
}

/**
 * Kysely's SQLite driver hands its single connection out under a mutex whose
 * unlock wakes every waiter, of which all but one go back to sleep: with 64
 * requests in flight, each query paid for 63 wake-ups. Here waiters queue and
 * unlock hands the connection to the next one only (a few percent on
 * GET /profile under load; the statement cache in connect.ts was the big win).
 */
class FairSqliteDriver extends SqliteDriver {
  readonly #queue = new FifoMutex();
  #connection: DatabaseConnection | undefined;

  override async init(): Promise<void> {
    await super.init();
    // The base driver's one connection, taken once; its own mutex is not used again.
    this.#connection = await super.acquireConnection();
    await super.releaseConnection();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#queue.lock();
    return this.#connection as DatabaseConnection;
  }

  override async releaseConnection(): Promise<void> {
    this.#queue.unlock();
  }

  get busy(): boolean {
    return this.#queue.locked;
  }

  get waiting(): number {
    return this.#queue.waiting;
  }
}

class FifoMutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }

  get locked(): boolean {
    return this.#locked;
  }

  get waiting(): number {
    return this.#waiters.length;
  }
}

class SqliteAdapterWithMigrationLock extends SqliteAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`BEGIN IMMEDIATE`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    try {
      await sql`COMMIT`.execute(db);
    } catch (error) {
      // No transaction to end: BEGIN IMMEDIATE itself failed, and that error is the one to report.
      if (!/no transaction is active/.test((error as Error).message)) throw error;
    }
  }
}
