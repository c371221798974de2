import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../../helpers/cli.js";
import { request } from "../../helpers/http.js";
import { startTestServer, tempDir } from "../../helpers/server.js";

test("auth-service api-key create | list | revoke, and the key opens the admin API until revoked", {
  timeout: 90_000,
}, async () => {
  const folder = tempDir();
  const databaseUrl = `sqlite:${join(folder.dir, "keys.db")}`;
  const env = { DATABASE_URL: databaseUrl };
  const server = await startTestServer(env);
  try {
    const created = runCli(
      [
        "api-key",
        "create",
        "--name",
        "ops-bot",
        "--scope",
        "users:read",
        "--scope",
        "audit:read",
        "--expires",
        "30d",
      ],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const lines = created.stdout.trimEnd().split("\n");
    const key = lines.at(-1) ?? "";
    assert.match(key, /^authsvc_[A-Za-z0-9_-]{43}$/, "the key alone on the last line");
    assert.equal(created.stdout.split(key).length, 2, "printed once");

    const listed = runCli(["api-key", "list"], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ops-bot {2}authsvc_\S+\.\.\. {2}users:read,audit:read/);
    assert.ok(!listed.stdout.includes(key), "never the key");
    assert.ok(!readFileSync(join(folder.dir, "keys.db")).toString("latin1").includes(key));

    const headers = { authorization: `Bearer ${key}` };
    assert.equal((await request(server.url, "GET", "/admin/users", { headers })).status, 200);
    assert.equal(
      (await request(server.url, "POST", "/admin/users", { headers, json: {} })).status,
      403,
    );

    assert.equal(
      runCli(["api-key", "create", "--name", "ops-bot", "--scope", "users:read"], env).code,
      1,
      "name taken",
    );
    assert.equal(
      runCli(["api-key", "create", "--name", "x", "--scope", "root"], env).code,
      2,
      "unknown scope",
    );
    const revoked = runCli(["api-key", "revoke", "ops-bot"], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await request(server.url, "GET", "/admin/users", { headers })).status, 401);
    assert.equal(runCli(["api-key", "revoke", "ops-bot"], env).code, 1, "no such key");
  } finally {
    await server.close();
    folder.remove();
  }
});
