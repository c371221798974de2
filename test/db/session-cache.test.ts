import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { hashToken } from "../../src/core/token.js";
import { createAuth } from "../../src/main/create-auth.js";
import { runCli, type ServeProcess, spawnServers, stopServers } from "../helpers/cli.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { tempDir } from "../helpers/server.js";

test("lookups are served from memory until a write here or elsewhere could change them", async () => {
  const { dir, remove } = tempDir();
  const file = join(dir, "cache.db");
  const service = await createAuth({ databaseUrl: `sqlite:${file}`, bcryptCost: 4 });
  const other = new BetterSqlite3(file); // another connection, as another process would have
  try {
    await service.auth.registerUser("cached@example.com", "b4l0u");
    const first = await service.auth.createSession("cached@example.com");
    const second = await service.auth.createSession("cached@example.com");
    assert.ok(first && second);
    const { store } = service;
    const hash = hashToken(first);

    const a = await store.findSessionByTokenHash(hash);
    assert.ok(a);
    assert.equal(
      await store.findSessionByTokenHash(hash),
      a,
      "the second lookup is the cached one",
    );

    await store.touchSession(a.session.id, new Date(a.session.lastSeenAt.getTime() + 60_000));
    const b = await store.findSessionByTokenHash(hash);
    assert.notEqual(b, a, "a write through this process empties the cache");
    assert.equal(b?.session.lastSeenAt.getTime(), a.session.lastSeenAt.getTime() + 60_000);

    // Another connection ends the session: the next lookup sees it at once.
    assert.equal(await store.findSessionByTokenHash(hash), b);
    other.prepare("DELETE FROM sessions WHERE token_hash = ?").run(hash);
    assert.equal(await store.findSessionByTokenHash(hash), null);
    assert.ok(await store.findSessionByTokenHash(hashToken(second)), "the other session lives on");

    await service.auth.revokeSession(second);
    assert.equal(await service.auth.getUserFromSessionId(second), null, "logout: refused at once");
  } finally {
    other.close();
    await service.close();
    remove();
  }
});

describe("two server processes over one SQLite file", () => {
  const folder = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(folder.dir, "shared.db")}`, BCRYPT_COST: "4" };
  let servers: ServeProcess[] = [];

  before(async () => {
    runCli(["migrate"], env);
    servers = await spawnServers(env, 2);
  });
  after(async () => {
    await stopServers(servers);
    folder.remove();
  });

  test("a session revoked on one process, or by the CLI, is refused by the other at once", async () => {
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const form = { email: "shared@example.com", password: "b4l0u" };
    await request(a.url, "POST", "/users", { form });
    const profileOn = async (url: string, token: string | undefined) =>
      (await request(url, "GET", "/profile", { cookie: `session_id=${token}` })).status;

    const one = sessionCookieOf(await request(a.url, "POST", "/sessions", { form }));
    for (let i = 0; i < 3; i++) assert.equal(await profileOn(b.url, one), 200, "cached on b");
    assert.equal(
      (await request(a.url, "DELETE", "/sessions", { cookie: `session_id=${one}` })).status,
      303,
    );
    assert.equal(await profileOn(b.url, one), 403, "b refuses it on the very next request");

    const two = sessionCookieOf(await request(b.url, "POST", "/sessions", { form }));
    assert.equal(await profileOn(a.url, two), 200);
    assert.equal(await profileOn(b.url, two), 200);
    const cli = runCli(["user", "revoke-sessions", "shared@example.com"], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(await profileOn(a.url, two), 403);
    assert.equal(await profileOn(b.url, two), 403);
  });
});
