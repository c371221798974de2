import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Kysely } from "kysely";
import { connect } from "../../src/platform/db/connect.js";
import { HotQuery } from "../../src/platform/db/hot-query.js";
import { tempDir } from "../helpers/server.js";

type Db = Kysely<{ t: { id: string; body: string } }>;

/**
 * A group whose statements meet SQLITE_FULL (max_page_count as a full disk):
 * every write's answer must match what the file holds afterwards, read by a
 * fresh connection — never "written" for a row that is not there, never an
 * error for a row that is.
 */
test("SQLite group commit: each answer matches the file after a disk-full group", {
  timeout: 30_000,
}, async () => {
  const folder = tempDir();
  const file = join(folder.dir, "full.db");
  const { db, sqlite } = connect({ url: `sqlite:${file}`, timeoutMs: 5000 });
  if (!sqlite) throw new Error("expected SQLite");
  try {
    sqlite.exec("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
    const insert = new HotQuery(
      db as never,
      (db as unknown as Db).insertInto("t").values({ id: "", body: "" }).compile(),
      sqlite,
    );
    for (let round = 0; round < 16; round++) {
      const pages = Number(sqlite.pragma("page_count", { simple: true }));
      // Room for a few more pages only.
      sqlite.pragma(`max_page_count = ${pages + 2 + round * 2}`);
      const ids = Array.from({ length: 12 }, (_, n) => `r${round}-${n}`);
      const settled = await Promise.allSettled(
        ids.map((id, n) => insert.changes([id, "x".repeat(n % 3 === 0 ? 6000 : 300)])),
      );
      if (process.env.PENTEST_DEBUG)
        console.log(
          round,
          JSON.stringify(
            settled.map((s) =>
              s.status === "fulfilled" ? s.value : String(s.reason).slice(0, 40),
            ),
          ),
        );
      const BetterSqlite3 = (await import("better-sqlite3")).default;
      const reader = new BetterSqlite3(file, { readonly: true });
      try {
        ids.forEach((id, n) => {
          const there = reader.prepare("SELECT 1 FROM t WHERE id = ?").get(id) !== undefined;
          const outcome = settled[n] as PromiseSettledResult<number>;
          const answered = outcome.status === "fulfilled" && outcome.value === 1;
          assert.equal(
            answered,
            there,
            `round ${round}, ${id}: answered ${outcome.status === "fulfilled" ? "written" : String(outcome.reason)}, in the file: ${there}`,
          );
        });
      } finally {
        reader.close();
      }
      sqlite.pragma("max_page_count = 1073741823");
    }
  } finally {
    await db.destroy();
    folder.remove();
  }
});
