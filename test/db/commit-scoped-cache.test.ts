import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { CommitScopedCache } from "../../src/platform/db/commit-scoped-cache.js";
import { connect } from "../../src/platform/db/connect.js";
import { tempDir } from "../helpers/server.js";

const LATER = Date.now() + 60_000;

test("an entry lasts until a commit by this connection or another, or its own time", () => {
  const folder = tempDir();
  const file = join(folder.dir, "cache.db");
  const { sqlite } = connect({ url: `sqlite:${file}` });
  if (!sqlite) throw new Error("expected a SQLite connection");
  sqlite.exec("CREATE TABLE t (n INTEGER)");
  const other = new BetterSqlite3(file);
  const cache = new CommitScopedCache<string>(sqlite, 10);
  const keep = (key: string, until = LATER) => {
    assert.equal(cache.get(key, Date.now()), undefined);
    cache.set(key, "value", until, cache.generation);
  };
  try {
    keep("a");
    assert.equal(cache.get("a", Date.now()), "value");
    sqlite.exec("INSERT INTO t VALUES (1)");
    assert.equal(cache.get("a", Date.now()), undefined, "this connection's commit");
    keep("a");
    other.exec("INSERT INTO t VALUES (2)");
    assert.equal(cache.get("a", Date.now()), undefined, "another connection's commit");
    keep("a", Date.now() + 5);
    assert.equal(cache.get("a", Date.now() + 10), undefined, "past its time");
    // A value read across a get that found a commit is not kept.
    assert.equal(cache.get("b", Date.now()), undefined);
    const seen = cache.generation;
    other.exec("INSERT INTO t VALUES (3)");
    assert.equal(cache.get("c", Date.now()), undefined);
    cache.set("b", "stale", LATER, seen);
    assert.equal(cache.get("b", Date.now()), undefined);
  } finally {
    cache.close();
    other.close();
    sqlite.close();
    folder.remove();
  }
});

test("over an in-memory database, which cannot see its own commits, nothing is kept", () => {
  const { sqlite } = connect({ url: "sqlite::memory:" });
  if (!sqlite) throw new Error("expected a SQLite connection");
  const cache = new CommitScopedCache<string>(sqlite, 10);
  try {
    assert.equal(cache.get("a", Date.now()), undefined);
    cache.set("a", "value", LATER, cache.generation);
    assert.equal(cache.get("a", Date.now()), undefined);
  } finally {
    cache.close();
    sqlite.close();
  }
});
