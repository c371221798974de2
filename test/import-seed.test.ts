import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import * as bcrypt from "@node-rs/bcrypt";
import BetterSqlite3 from "better-sqlite3";
import { runCli } from "./helpers/cli.js";
import { request } from "./helpers/http.js";
import { startTestServer, tempDir } from "./helpers/server.js";

/** A database in the original service's layout (SQLAlchemy's users table). */
async function originalSeed(path: string): Promise<void> {
  const db = new BetterSqlite3(path);
  db.exec(`CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY,
    email VARCHAR(250) NOT NULL,
    hashed_password VARCHAR(250) NOT NULL,
    session_id VARCHAR(250),
    reset_token VARCHAR(250)
  )`);
  const insert = db.prepare(
    "INSERT INTO users (email, hashed_password, session_id) VALUES (?, ?, ?)",
  );
  // Python's bcrypt.hashpw returns bytes; SQLite keeps them as a BLOB.
  insert.run(
    "bob@holberton.io",
    Buffer.from(await bcrypt.hash("bob-old-pass", { cost: 4 })),
    "stale-session",
  );
  insert.run("alice@holberton.io", await bcrypt.hash("alice-old-pass", { cost: 4 }), null);
  insert.run("BOB@holberton.io", await bcrypt.hash("another", { cost: 4 }), null);
  insert.run("broken@holberton.io", "not-a-hash", null);
  db.close();
}

test("import-seed brings the original service's users in; they log in with their old passwords", async () => {
  const { dir, remove } = tempDir();
  try {
    const seed = join(dir, "a.db");
    await originalSeed(seed);
    const env = { DATABASE_URL: `sqlite:${join(dir, "auth.db")}` };

    const first = runCli(["import-seed", seed], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /4 users read: 2 imported, 0 already present, 1 duplicate emails skipped, 1 invalid rows skipped/,
    );
    assert.match(first.stdout, /duplicate: BOB@holberton.io/);
    assert.match(first.stdout, /invalid: broken@holberton.io/);

    const again = runCli(["import-seed", seed], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 imported, 2 already present/, "a second import changes nothing");

    const server = await startTestServer(env);
    try {
      const bob = await request(server.url, "POST", "/sessions", {
        form: { email: "bob@holberton.io", password: "bob-old-pass" },
      });
      assert.equal(bob.status, 200, "a hash stored as bytes verifies");
      const alice = await request(server.url, "POST", "/sessions", {
        form: { email: "ALICE@holberton.io", password: "alice-old-pass" },
      });
      assert.equal(alice.status, 200, "a hash stored as text verifies, email case-insensitive");
      const wrong = await request(server.url, "POST", "/sessions", {
        form: { email: "bob@holberton.io", password: "another" },
      });
      assert.equal(wrong.status, 401, "the duplicate row's password was not imported");
    } finally {
      await server.close();
    }
  } finally {
    remove();
  }
});

test("import-seed without a path, or with a missing file, fails with a message", () => {
  assert.equal(runCli(["import-seed"]).code, 2);
  const { dir, remove } = tempDir();
  try {
    const missing = runCli(["import-seed", join(dir, "nope.db")], {
      DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.db|unable to open|does not exist/i);
  } finally {
    remove();
  }
});
