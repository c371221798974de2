import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { connect } from "../../src/platform/db/connect.js";
import { tempDir } from "../helpers/server.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/open-at.ts", import.meta.url));
const run = promisify(execFile);

test("two processes opening the same new SQLite file at the same instant both succeed", async () => {
  // Both take a read lock and ask for the write lock the switch to WAL needs;
  // SQLite refuses one at once (SQLITE_BUSY, busy timeout or not). Without a
  // retry about a third of such races failed, so twenty of them all pass only
  // when the refused process waits for the other and tries again.
  const folder = tempDir();
  try {
    const rounds = "20";
    const args = [folder.dir, rounds, String(Date.now() + 2500), "100"];
    const results = await Promise.all(
      [1, 2].map(() => run(process.execPath, ["--import", "tsx", FIXTURE, ...args])),
    );
    for (const { stdout } of results) {
      assert.deepEqual(stdout.trim().split("\n"), Array(Number(rounds)).fill("opened"));
    }
  } finally {
    folder.remove();
  }
});

test("SQLite's WAL is checkpointed after 4,000 pages, not after SQLite's default 1,000", async () => {
  const folder = tempDir();
  const file = join(folder.dir, "wal.db");
  const { db, sqlite } = connect({ url: `sqlite:${file}` });
  try {
    assert.ok(sqlite);
    sqlite.exec("CREATE TABLE t (v BLOB)");
    const insert = sqlite.prepare("INSERT INTO t VALUES (?)");
    // One commit each, a page and more per commit: about 2,400 frames.
    for (let i = 0; i < 1200; i++) insert.run(Buffer.alloc(4000, i % 256));
    const walPages = statSync(`${file}-wal`).size / 4096;
    // After a checkpoint at 1,000 pages the WAL would start over at its beginning, never past ~1,000.
    assert.ok(walPages > 2000, `the WAL holds ${walPages} pages`);
  } finally {
    await db.destroy();
    folder.remove();
  }
});
