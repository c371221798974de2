import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { runCli, spawnServe } from "./helpers/cli.js";
import { request } from "./helpers/http.js";
import { tempDir } from "./helpers/server.js";

test("--help lists the commands", () => {
  const result = runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /serve/);
  assert.match(result.stdout, /migrate/);
  assert.equal(runCli(["serve", "--help"]).code, 0);
  const unknown = runCli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test("migrate creates the schema and can run again", () => {
  const { dir, remove } = tempDir();
  try {
    const env = { DATABASE_URL: `sqlite:${join(dir, "cli.db")}` };
    const first = runCli(["migrate"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^applied \d+ migrations: 0001-init, 0002-login-throttle, .*; database is up to date/,
    );
    const again = runCli(["migrate"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), "database is up to date: no migration to apply");
    const db = new BetterSqlite3(join(dir, "cli.db"), { readonly: true });
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    db.close();
    for (const table of ["password_reset_tokens", "sessions", "users"])
      assert.ok(tables.includes(table), table);
  } finally {
    remove();
  }
});

test("an invalid setting stops the start with a message naming it", () => {
  const result = runCli(["serve"], { BCRYPT_COST: "99", PORT: "nope" });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /BCRYPT_COST must be an integer from 4 to 31/);
  assert.match(result.stderr, /PORT must be an integer/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});

test("serve: answers, warns about development mode, and drains on SIGTERM", async () => {
  const { dir, remove } = tempDir();
  try {
    const server = await spawnServe({
      DATABASE_URL: `sqlite:${join(dir, "serve.db")}`,
      BCRYPT_COST: "13",
    });
    assert.match(server.output(), /development mode/);
    const form = { email: "drain@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    // A login takes ~400 ms at cost 13; 150 ms after sending it (time for a busy
    // machine to deliver it), it is being hashed when the signal arrives.
    const login = request(server.url, "POST", "/sessions", { form });
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.child.kill("SIGTERM");
    assert.equal((await login).status, 200, "the request in flight was answered");
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /shutting down/);
  } finally {
    remove();
  }
});
