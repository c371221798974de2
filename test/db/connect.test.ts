import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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
