import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { connect } from "../../src/platform/db/connect.js";
import { CommitWatch } from "../../src/platform/db/wal-commits.js";
import { tempDir } from "../helpers/server.js";

interface Watched {
  /** The database file. */
  file: string;
  /** The connection the watch reads through, opened as the service opens it. */
  sqlite: BetterSqlite3.Database;
  /** A second connection, as another process would have. */
  other: BetterSqlite3.Database;
  watch: CommitWatch;
}

/** Runs `body` over a new WAL database holding a table `t`, and cleans up after it. */
function withWatchedDatabase(body: (watched: Watched) => void): void {
  const folder = tempDir();
  const file = join(folder.dir, "watched.db");
  const { sqlite } = connect({ url: `sqlite:${file}` });
  if (!sqlite) throw new Error("expected a SQLite connection");
  sqlite.exec("CREATE TABLE t (n INTEGER)");
  const other = new BetterSqlite3(file);
  const watch = new CommitWatch(sqlite);
  try {
    body({ file, sqlite, other, watch });
  } finally {
    watch.close();
    other.close();
    sqlite.close();
    folder.remove();
  }
}

test("every commit by another connection is seen, and nothing else", () => {
  withWatchedDatabase(({ sqlite, other, watch }) => {
    assert.equal(watch.changed(), true, "the first call has nothing to compare with");
    assert.equal(watch.changed(), false);
    other.prepare("SELECT count(*) FROM t").get();
    assert.equal(watch.changed(), false, "reads are not commits");
    const insert = other.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 200; i++) {
      insert.run(i);
      assert.equal(watch.changed(), true, `commit ${i} seen`);
      assert.equal(watch.changed(), false);
    }
    // A checkpoint that empties the WAL, then writes into a restarted WAL.
    other.pragma("wal_checkpoint(TRUNCATE)");
    watch.changed();
    insert.run(1);
    assert.equal(watch.changed(), true, "the first commit into a restarted WAL");
    sqlite.prepare("INSERT INTO t VALUES (2)").run();
    assert.equal(watch.changed(), true, "this connection's own commits count too");
  });
});

test("a commit by another process is seen on the next call", () => {
  withWatchedDatabase(({ file, watch }) => {
    watch.changed();
    assert.equal(watch.changed(), false);
    execFileSync(process.execPath, [
      "-e",
      `new (require("better-sqlite3"))(${JSON.stringify(file)}).exec("INSERT INTO t VALUES (1)")`,
    ]);
    assert.equal(watch.changed(), true);
  });
});

test("an in-memory database (no -shm file) falls back to PRAGMA data_version", () => {
  const { sqlite } = connect({ url: "sqlite::memory:" });
  const watch = new CommitWatch(sqlite as BetterSqlite3.Database);
  try {
    assert.equal(watch.changed(), true);
    assert.equal(watch.changed(), false);
  } finally {
    watch.close();
    sqlite?.close();
  }
});
