import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { runCliAsync } from "./helpers/cli.js";
import { tempDir } from "./helpers/server.js";

/** One line naming what is wrong, exit 1, no stack unless LOG_LEVEL=debug. */
function assertOneLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace:\n${result.stderr}`);
}

test("import-seed of a missing file, a non-database, a database without users: one line each", {
  timeout: 60_000,
}, async () => {
  const folder = tempDir();
  try {
    const env = { DATABASE_URL: `sqlite:${join(folder.dir, "target.db")}` };
    const missing = join(folder.dir, "missing.db");
    assertOneLine(
      await runCliAsync(["import-seed", missing], env),
      new RegExp(`cannot open ${missing}: no such file`),
    );
    const text = join(folder.dir, "notes.txt");
    writeFileSync(text, "hello, not a database\n".repeat(200));
    assertOneLine(
      await runCliAsync(["import-seed", text], env),
      new RegExp(`${text} is not a SQLite database`),
    );
    const other = join(folder.dir, "other.db");
    const db = new BetterSqlite3(other);
    db.exec("CREATE TABLE things (id INTEGER PRIMARY KEY)");
    db.close();
    assertOneLine(
      await runCliAsync(["import-seed", other], env),
      /is not the original service's database: it needs a users table/,
    );
    const debug = await runCliAsync(["import-seed", missing], { ...env, LOG_LEVEL: "debug" });
    assert.match(debug.stderr, /cannot open/);
  } finally {
    folder.remove();
  }
});

test("serve with a PostgreSQL database that does not exist, or a port where nothing listens", {
  timeout: 60_000,
}, async () => {
  const base = { PORT: "0", DATABASE_TIMEOUT: "3s" };
  assertOneLine(
    await runCliAsync(["serve"], {
      ...base,
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/auth_no_such_database",
    }),
    /the PostgreSQL database "auth_no_such_database" does not exist at 127\.0\.0\.1:5432/,
  );
  assertOneLine(
    await runCliAsync(["serve"], { ...base, DATABASE_URL: "postgres://postgres@127.0.0.1:1/x" }),
    /nothing answers at 127\.0\.0\.1:1\/x \(DATABASE_URL\)/,
  );
});
