import { afterEach, beforeEach, describe } from "node:test";
import type BetterSqlite3 from "better-sqlite3";
import { Redis } from "ioredis";
import { type Kysely, sql } from "kysely";
import { KyselyStore } from "../../src/core/store/kysely-store.js";
import { KyselyThrottleStore } from "../../src/core/store/kysely-throttle-store.js";
import { RedisThrottleStore } from "../../src/core/store/redis-throttle-store.js";
import type { ThrottleStore } from "../../src/core/throttle.js";
import type { Transaction } from "../../src/core/unit-of-work.js";
import type { UserRecord } from "../../src/core/user.js";
import { connect } from "../../src/platform/db/connect.js";
import type { Database, Dialect } from "../../src/platform/db/schema.js";
import { type TestDatabase, testDatabases, testRedis } from "../helpers/databases.js";

/*
 * The store contracts' harness, after Lucia's adapter-test: each suite is
 * written once against a store's interface and run here against every
 * backend that implements it. Every test gets a database of its own, fresh
 * and migrated (or a Redis key prefix of its own), and nothing of it is left
 * once the test is over: connections closed, database dropped, keys deleted.
 */

/** Every contract test and hook runs under this: a hung one fails instead of holding the run. */
export const TIMEOUT = { timeout: 120_000 } as const;

/** One test's database: fresh, migrated unless the suite said otherwise, dropped after the test. */
export interface DatabaseUnderTest {
  readonly dialect: Dialect;
  readonly url: string;
  /** The test's connection. */
  readonly db: Kysely<Database>;
  /** Over SQLite, the raw connection under `db` (what the service hands its hot statements). */
  readonly sqlite: BetterSqlite3.Database | undefined;
  /** The core's store over `db`, with no take-back step. */
  readonly store: KyselyStore;
  /**
   * Another connection to the same database, as another process (or another
   * instance of the service) has; closed with the test.
   */
  connection(): Kysely<Database>;
  /** A user to hang rows on (email unique per call). */
  user(email?: string, now?: Date): Promise<UserRecord>;
  /**
   * How many rows `table` holds (of `userId` when given), read on a connection
   * of its own: what is committed, whatever the store's connection holds open.
   */
  count(table: keyof Database, userId?: number): Promise<number>;
}

/**
 * Runs `body` (a suite of `test`s) once per database: SQLite always,
 * PostgreSQL when it answers (always in CI). `body` gets the test's database,
 * filled in before each test; read it inside the tests only.
 */
export async function onEveryDatabase(
  suite: string,
  body: (t: DatabaseUnderTest) => void,
  options: { migrate?: boolean } = {},
): Promise<void> {
  for (const factory of await testDatabases()) {
    describe(`${suite} on ${factory.name}`, {
      skip: "skip" in factory ? factory.skip : false,
    }, () => {
      const fixture = new DatabaseFixture();
      beforeEach(async () => {
        if ("skip" in factory) return;
        await fixture.open(await factory.create(), options.migrate ?? true);
      }, TIMEOUT);
      afterEach(() => fixture.close(), TIMEOUT);
      body(fixture);
    });
  }
}

class DatabaseFixture implements DatabaseUnderTest {
  #database: TestDatabase | undefined;
  #db: Kysely<Database> | undefined;
  #sqlite: BetterSqlite3.Database | undefined;
  #store: KyselyStore | undefined;
  #dialect: Dialect | undefined;
  #connections: Kysely<Database>[] = [];
  #readerDb: Kysely<Database> | undefined;
  #users = 0;

  async open(database: TestDatabase, migrate: boolean): Promise<void> {
    this.#database = database;
    try {
      const { db, dialect, sqlite } = connect({ url: database.url });
      this.#connections.push(db);
      this.#db = db;
      this.#sqlite = sqlite;
      this.#dialect = dialect;
      this.#store = new KyselyStore(db, dialect);
      if (migrate) await this.#store.migrate();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const connections = this.#connections;
    const database = this.#database;
    this.#connections = [];
    this.#database = undefined;
    this.#db = undefined;
    this.#sqlite = undefined;
    this.#store = undefined;
    this.#readerDb = undefined;
    try {
      for (const db of connections) await db.destroy();
    } finally {
      await database?.drop();
    }
  }

  get dialect(): Dialect {
    return this.#open(this.#dialect);
  }

  get url(): string {
    return this.#open(this.#database).url;
  }

  get db(): Kysely<Database> {
    return this.#open(this.#db);
  }

  get sqlite(): BetterSqlite3.Database | undefined {
    this.#open(this.#db);
    return this.#sqlite;
  }

  get store(): KyselyStore {
    return this.#open(this.#store);
  }

  connection(): Kysely<Database> {
    const { db } = connect({ url: this.url });
    this.#connections.push(db);
    return db;
  }

  user(email = `user${++this.#users}@example.com`, now = AN_INSTANT): Promise<UserRecord> {
    return this.store.insertUser(email, `$2b$04$hash-of-${email}`, now);
  }

  async count(table: keyof Database, userId?: number): Promise<number> {
    const where = userId === undefined ? sql`` : sql` WHERE user_id = ${userId}`;
    const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(
      table,
    )}${where}`.execute(this.#reader());
    return Number(rows[0]?.n);
  }

  #reader(): Kysely<Database> {
    this.#readerDb ??= this.connection();
    return this.#readerDb;
  }

  #open<T>(value: T | undefined): T {
    if (value === undefined) throw new Error("no database: read it inside a test");
    return value;
  }
}

/** One test's throttling backend. */
export interface ThrottleUnderTest {
  readonly name: "sqlite" | "postgres" | "redis";
  /** The store under test. */
  readonly store: ThrottleStore;
  /** Another store over the same state, as another instance of the service has. */
  another(): Promise<ThrottleStore>;
  /**
   * Whose clock closes a counting window: the databases compare the `now`
   * they are given; Redis expires its keys on its own clock (real time).
   */
  readonly windowClock: "given" | "own";
  /** Redis only: the milliseconds left before Redis expires the key's count (PTTL). */
  countExpiresInMs?(key: string): Promise<number>;
}

/**
 * Runs `body` once per throttling backend: SQLite and PostgreSQL (the
 * login_throttle table, KyselyThrottleStore) and Redis (RedisThrottleStore,
 * under a key prefix of the test's own, deleted after it).
 */
export async function onEveryThrottleBackend(
  suite: string,
  body: (t: ThrottleUnderTest) => void,
): Promise<void> {
  await onEveryDatabase(suite, (database) => {
    const backend: ThrottleUnderTest = {
      get name() {
        return database.dialect;
      },
      get store() {
        return new KyselyThrottleStore(database.db);
      },
      another: async () => new KyselyThrottleStore(database.connection()),
      windowClock: "given",
    };
    body(backend);
  });

  const redis = await testRedis();
  describe(`${suite} on redis`, { skip: "skip" in redis ? redis.skip : false }, () => {
    if ("skip" in redis) return;
    let tests = 0;
    let prefix = "";
    let stores: RedisThrottleStore[] = [];
    let raw: Redis | undefined;
    const open = async () => {
      const store = new RedisThrottleStore({ url: redis.url, keyPrefix: prefix });
      stores.push(store);
      await store.connect();
      return store;
    };
    let store: RedisThrottleStore | undefined;
    beforeEach(async () => {
      // A prefix of the test's own under the run's: no test sees another's keys.
      prefix = `${redis.keyPrefix}${++tests}:`;
      store = await open();
    }, TIMEOUT);
    afterEach(async () => {
      const closing = stores;
      stores = [];
      store = undefined;
      try {
        for (const each of closing) await each.close();
        raw?.disconnect();
        raw = undefined;
      } finally {
        await redis.clear();
      }
    }, TIMEOUT);
    body({
      name: "redis",
      get store() {
        if (!store) throw new Error("no Redis store: read it inside a test");
        return store;
      },
      another: open,
      windowClock: "own",
      async countExpiresInMs(key) {
        raw ??= new Redis(redis.url, { maxRetriesPerRequest: 1 });
        return raw.pttl(`${prefix}count:${key}`);
      },
    });
  });
}

/**
 * Runs `work` in a transaction of `store` that then rolls back (as a unit of
 * work whose later step failed); returns what `work` returned.
 */
export async function inRolledBack<T>(
  store: KyselyStore,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  const rollback = new Error("roll back");
  await store
    .transaction(async (tx) => {
      result = await work(tx);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return result as T;
}

/** Milliseconds that are not a round number, and past 2^32, to see both engines keep them exactly. */
export const AN_INSTANT = new Date("2031-07-09T10:11:12.345Z");

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `base` moved by `ms`. */
export function at(base: Date, ms: number): Date {
  return new Date(base.getTime() + ms);
}
