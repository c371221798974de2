import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import BetterSqlite3 from "better-sqlite3";
import { request, sessionCookieOf } from "../helpers/http.js";
import {
  type ProxiedPostgres,
  postgresFactory,
  proxiedPostgres,
} from "../helpers/proxied-postgres.js";
import { startTestServer, type TestServer, tempDir } from "../helpers/server.js";
import type { TcpProxy } from "../helpers/tcp-proxy.js";

const { postgres, skip } = await postgresFactory();

describe("PostgreSQL outage", {
  skip,
}, () => {
  let behind: ProxiedPostgres;
  let proxy: TcpProxy;
  let server: TestServer;

  before(async () => {
    if (!postgres) return;
    behind = await proxiedPostgres(postgres);
    ({ proxy } = behind);
    server = await startTestServer({ DATABASE_URL: behind.url, DATABASE_TIMEOUT: "1s" });
  });
  after(async () => {
    try {
      await server?.close();
    } finally {
      await behind?.close();
    }
  });

  test("503 JSON within a bounded time while cut, then recovery by itself", async () => {
    const form = { email: "outage@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    assert.equal((await request(server.url, "GET", "/ready")).status, 200);

    proxy.cut();
    const calls = [
      () => request(server.url, "GET", "/profile", { cookie }),
      () => request(server.url, "POST", "/sessions", { form }),
      () =>
        request(server.url, "POST", "/users", {
          form: { email: "new@example.com", password: "b4l0u" },
        }),
      () => request(server.url, "POST", "/reset_password", { form: { email: form.email } }),
      () => request(server.url, "GET", "/ready"),
    ];
    for (const call of calls) {
      const start = performance.now();
      const r = await call();
      const elapsed = performance.now() - start;
      assert.equal(r.status, 503, r.text);
      assert.equal(typeof (r.body as { message: unknown }).message, "string");
      assert.ok(elapsed < 4000, `answered in ${elapsed.toFixed(0)} ms`);
    }
    assert.equal(
      (await request(server.url, "GET", "/health")).status,
      200,
      "the process still serves",
    );

    proxy.restore();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await request(server.url, "GET", "/profile", { cookie })).status;
      if (status !== 200) await sleep(250);
    }
    assert.equal(status, 200, "recovered without a restart");
    assert.equal((await request(server.url, "GET", "/ready")).status, 200);
    assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);
  });
});

describe("SQLite write lock held by another process", () => {
  let server: TestServer;
  const { dir, remove } = tempDir();
  const file = join(dir, "locked.db");

  before(async () => {
    server = await startTestServer({ DATABASE_URL: `sqlite:${file}`, DATABASE_TIMEOUT: "300ms" });
  });
  after(async () => {
    await server.close();
    remove();
  });

  test("writes get 503 while the lock is held, reads go on, and writes resume after", async () => {
    const form = { email: "lock@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    const other = new BetterSqlite3(file);
    try {
      other.exec("BEGIN EXCLUSIVE");
      const blocked = await request(server.url, "POST", "/users", {
        form: { email: "second@example.com", password: "b4l0u" },
      });
      assert.equal(blocked.status, 503, blocked.text);
      assert.equal(blocked.headers.get("retry-after"), "1");
      assert.equal(
        (await request(server.url, "GET", "/profile", { cookie })).status,
        200,
        "WAL readers are not blocked",
      );
      other.exec("COMMIT");
    } finally {
      other.close();
    }
    const retried = await request(server.url, "POST", "/users", {
      form: { email: "second@example.com", password: "b4l0u" },
    });
    assert.equal(retried.status, 200);
  });
});
