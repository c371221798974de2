import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { connect } from "../../src/platform/db/connect.js";
import { HotQuery } from "../../src/platform/db/hot-query.js";
import { tempDir } from "../helpers/server.js";

type Db = Kysely<{ t: { n: number } }>;

/** Runs `body` over a new SQLite file holding a table `t`, opened as the service opens it. */
async function withDatabase(
  body: (db: Db, sqlite: BetterSqlite3.Database, file: string) => Promise<void>,
): Promise<void> {
  const folder = tempDir();
  const file = join(folder.dir, "hot.db");
  const { db, sqlite } = connect({ url: `sqlite:${file}`, timeoutMs: 5000 });
  if (!sqlite) throw new Error("expected a SQLite connection");
  sqlite.exec("CREATE TABLE t (n INTEGER)");
  try {
    await body(db as unknown as Db, sqlite, file);
  } finally {
    await db.destroy();
    folder.remove();
  }
}

const insertOf = (db: Db, sqlite: BetterSqlite3.Database) =>
  new HotQuery(db as never, db.insertInto("t").values({ n: 0 }).compile(), sqlite);

const count = (sqlite: BetterSqlite3.Database) =>
  (sqlite.prepare("SELECT count(*) AS c FROM t").get() as { c: number }).c;

test("a hot write never joins another request's open transaction: its row outlives that one's rollback", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    const insert = insertOf(db, sqlite);
    let written: Promise<number> | undefined;
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t VALUES (1)`.execute(trx);
        // Another request's statement, while this transaction is open.
        written = insert.changes([2]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.equal(await written, 1);
    assert.deepEqual(
      sqlite.prepare("SELECT n FROM t").all(),
      [{ n: 2 }],
      "the rolled-back row is gone and the hot write is kept",
    );
  });
});

test("a hot write waits for another process's write lock past SQLite's short synchronous wait", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite, file) => {
    const insert = insertOf(db, sqlite);
    const other = new BetterSqlite3(file);
    try {
      other.exec("BEGIN IMMEDIATE");
      other.exec("INSERT INTO t VALUES (1)");
      const written = insert.changes([2]);
      // Held well past the 50 ms SQLite waits synchronously: the write must
      // go on waiting, not fail with SQLITE_BUSY.
      await new Promise((resolve) => setTimeout(resolve, 300));
      other.exec("COMMIT");
      assert.equal(await written, 1);
      assert.equal(count(sqlite), 2);
    } finally {
      other.close();
    }
  });
});

test("a hot read answers rows with the bound parameters, and waits out an open transaction", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    sqlite.exec("INSERT INTO t VALUES (1), (2), (3)");
    const above = new HotQuery(
      db as never,
      db.selectFrom("t").select("n").where("n", ">", 0).orderBy("n").compile(),
      sqlite,
    );
    assert.deepEqual(await above.rows([1]), [{ n: 2 }, { n: 3 }]);
    assert.deepEqual(await above.rows([2]), [{ n: 3 }]);
    // While a transaction holds the connection, the read waits for it to end
    // and sees what it committed.
    let during: Promise<{ n: number }[]> | undefined;
    await db.transaction().execute(async (trx) => {
      await sql`INSERT INTO t VALUES (4)`.execute(trx);
      during = above.rows([2]);
    });
    assert.deepEqual(await during, [{ n: 3 }, { n: 4 }]);
  });
});

/** Frames in the WAL, none checkpointed yet (connect's threshold is far above these tests). */
const walFrames = (sqlite: BetterSqlite3.Database) =>
  (sqlite.pragma("wal_checkpoint(NOOP)") as { log: number }[])[0]?.log ?? 0;

test("the hot writes of one turn share one commit: the WAL grows by their pages, not a commit each", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    const insert = insertOf(db, sqlite);
    await insert.changes([0]);
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
    const written = await Promise.all(Array.from({ length: 50 }, (_, n) => insert.changes([n])));
    assert.deepEqual(new Set(written), new Set([1]));
    assert.equal(count(sqlite), 51);
    // One commit of 50 small rows rewrites the table's one page: a frame or
    // two. A commit each appends that page 50 times.
    assert.ok(walFrames(sqlite) < 10, `${walFrames(sqlite)} WAL frames for 50 rows`);
  });
});

test("one write's failure in a group is its own: the others commit", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    sqlite.exec("CREATE UNIQUE INDEX t_n ON t (n)");
    const insert = insertOf(db, sqlite);
    const outcomes = await Promise.allSettled([1, 2, 1, 3].map((n) => insert.changes([n])));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["fulfilled", "fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.deepEqual(sqlite.prepare("SELECT n FROM t ORDER BY n").all(), [
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
  });
});

test("a failure that ends the group's transaction fails every write of the group, and none is kept", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    // RAISE(ROLLBACK) ends the whole transaction, as a full disk or an I/O error does.
    sqlite.exec(
      "CREATE TRIGGER t_refuse BEFORE INSERT ON t WHEN NEW.n = 13 BEGIN SELECT RAISE(ROLLBACK, 'refused'); END",
    );
    const insert = insertOf(db, sqlite);
    const outcomes = await Promise.allSettled([1, 13, 2].map((n) => insert.changes([n])));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["rejected", "rejected", "rejected"],
    );
    assert.equal(count(sqlite), 0);
    // The connection is usable again: the next group commits.
    assert.equal(await insert.changes([4]), 1);
    assert.equal(count(sqlite), 1);
  });
});

test("a hot write issued just before another request's transaction begins stays out of it", {
  timeout: 30_000,
}, async () => {
  await withDatabase(async (db, sqlite) => {
    const insert = insertOf(db, sqlite);
    // Issued outside any transaction; its group commits on a later turn, by
    // which time this transaction holds the connection.
    const written = insert.changes([2]);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t VALUES (1)`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.equal(await written, 1);
    assert.deepEqual(sqlite.prepare("SELECT n FROM t").all(), [{ n: 2 }]);
  });
});
