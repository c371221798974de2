import {
  CompiledQuery,
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
import { DeadlineExceededError, msLeft } from "../runtime/request-deadline.js";
import type { PoolState } from "./pool-state.js";
import { PatientConnection } from "./sqlite-lock-wait.js";

/** How the driver bounds its waits by the request's deadline (request-deadline.ts). */
export interface SqliteDeadlineOptions {
  /** DATABASE_TIMEOUT: the bound outside a request. */
  timeoutMs: number;
  /** True while the connection is inside a transaction. */
  inTransaction(): boolean;
  /**
   * Lets migrations edit the schema's text (PRAGMA writable_schema, which
   * better-sqlite3's defensive mode forbids), while they hold the lock only.
   */
  allowSchemaEdits?(allowed: boolean): void;
}

/**
 * Kysely's SQLite dialect, with three changes: migrations serialized across
 * processes, a fair queue for the one connection, and waits bounded by the
 * request's deadline.
 *
 * Kysely takes no migration lock on SQLite (it assumes one process); several
 * workers or instances starting at once over one file would all run the same
 * migration. Here the lock is SQLite's own write lock: BEGIN IMMEDIATE waits
 * (up to DATABASE_TIMEOUT) for any other migrator, then holds every other
 * writer off until COMMIT, so the second process finds the work done.
 */
export class TunedSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #deadline: SqliteDeadlineOptions;
  #driver: FairSqliteDriver | undefined;

  constructor(config: SqliteDialectConfig, deadline: SqliteDeadlineOptions) {
    super(config);
    this.#config = config;
    this.#deadline = deadline;
  }

  override createAdapter(): DialectAdapter {
    return new SqliteAdapterWithMigrationLock(this.#deadline.allowSchemaEdits);
  }

  override createDriver(): Driver {
    this.#driver = new FairSqliteDriver(this.#config, this.#deadline);
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
 *
 * A request waits for the connection no longer than its deadline leaves,
 * and for another process's write lock no longer than that either, without
 * blocking the event loop (PatientConnection). Transactions begin IMMEDIATE:
 * they wait for the write lock at their start, where a wait can be retried.
 */
class FairSqliteDriver extends SqliteDriver {
  readonly #queue = new FifoMutex();
  readonly #deadline: SqliteDeadlineOptions;
  #connection: DatabaseConnection | undefined;

  constructor(config: SqliteDialectConfig, deadline: SqliteDeadlineOptions) {
    super(config);
    this.#deadline = deadline;
  }

  override async init(): Promise<void> {
    await super.init();
    // The base driver's one connection, taken once; its own mutex is not used again.
    const { timeoutMs, inTransaction } = this.#deadline;
    this.#connection = new PatientConnection(
      await super.acquireConnection(),
      timeoutMs,
      inTransaction,
    );
    await super.releaseConnection();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const waitMs = msLeft(this.#deadline.timeoutMs);
    if (waitMs <= 0) throw new DeadlineExceededError("the SQLite connection");
    await this.#queue.lock(waitMs);
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

  /** Resolves holding the lock, or rejects after `waitMs` (leaving the queue). */
  lock(waitMs: number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new DeadlineExceededError("the SQLite connection"));
      }, waitMs);
      this.#waiters.push(waiter);
    });
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
  readonly #allowSchemaEdits: ((allowed: boolean) => void) | undefined;

  constructor(allowSchemaEdits?: (allowed: boolean) => void) {
    super();
    this.#allowSchemaEdits = allowSchemaEdits;
  }

  /**
   * Kysely puts a mutex of its own (which wakes every waiter) in front of a
   * driver whose adapter says it has one connection; FairSqliteDriver queues
   * for that connection itself, fairly and within the request's deadline.
   */
  override get supportsMultipleConnections(): boolean {
    return true;
  }

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`BEGIN IMMEDIATE`.execute(db);
    this.#allowSchemaEdits?.(true);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    try {
      await sql`COMMIT`.execute(db);
    } catch (error) {
      // No transaction to end: BEGIN IMMEDIATE itself failed, and that error is the one to report.
      if (!/no transaction is active/.test((error as Error).message)) throw error;
    } finally {
      this.#allowSchemaEdits?.(false);
    }
  }
}
