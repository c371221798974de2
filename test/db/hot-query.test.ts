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
