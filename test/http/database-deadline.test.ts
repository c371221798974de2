import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import BetterSqlite3 from "better-sqlite3";
import { type ServeProcess, spawnServe, stopServers } from "../helpers/cli.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import {
  type ProxiedPostgres,
  postgresFactory,
  proxiedPostgres,
} from "../helpers/proxied-postgres.js";
import { startTestServer, type TestServer, tempDir } from "../helpers/server.js";
import type { TcpProxy } from "../helpers/tcp-proxy.js";

const { postgres, skip } = await postgresFactory();

/** DATABASE_TIMEOUT of these tests: the bound every 503 must keep. */
const DEADLINE_MS = 2000;
/** Scheduling slack on a shared 2-core machine; the bug it guards against added a whole second timeout. */
const SLACK_MS = 600;

describe("one deadline per request, the wait for a pooled connection included (PostgreSQL)", {
  skip,
}, () => {
  let behind: ProxiedPostgres;
  let proxy: TcpProxy;
  let server: TestServer;

  before(async () => {
    if (!postgres) return;
    behind = await proxiedPostgres(postgres);
    ({ proxy } = behind);
    server = await startTestServer({
      DATABASE_URL: behind.url,
      DATABASE_TIMEOUT: `${DEADLINE_MS}ms`,
      DATABASE_POOL_SIZE: "1",
    });
  });
  after(async () => {
    try {
      await server?.close();
    } finally {
      await behind?.close();
    }
  });

  test("requests queued behind a stalled connection each get 503 within DATABASE_TIMEOUT", async () => {
    const form = { email: "queued@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;

    await sleep(300); // the login's webhook row, queued after its answer, is written by now
    proxy.stall();
    const unknown = { authorization: `Bearer ${"x".repeat(43)}` };
    // Sent one after another, as the fault-injection run did: the later ones
    // wait in the pool's queue for the one connection the first holds (close
    // together, so no background poll of the outbox queues between them).
    const timed = (delayMs: number, call: () => ReturnType<typeof request>) =>
      sleep(delayMs).then(async () => {
        const start = performance.now();
        const response = await call();
        return { response, ms: performance.now() - start };
      });
    const answers = await Promise.all([
      timed(100, () => request(server.url, "GET", "/profile", { headers: unknown })),
      timed(200, () => request(server.url, "GET", "/profile", { headers: unknown })),
      timed(300, () =>
        request(server.url, "POST", "/users", {
          form: { email: "queued-2@example.com", password: "b4l0u" },
        }),
      ),
      timed(400, () => request(server.url, "GET", "/profile", { headers: unknown })),
    ]);
    console.log(`503s after ${answers.map(({ ms }) => ms.toFixed(0)).join(", ")} ms`);
    for (const { response, ms } of answers) {
      assert.equal(response.status, 503, response.text);
      assert.equal(response.headers.get("retry-after"), "1");
      assert.ok(ms <= DEADLINE_MS + SLACK_MS, `503 after ${ms.toFixed(0)} ms`);
    }

    proxy.resume();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await request(server.url, "GET", "/profile", { cookie })).status;
      if (status !== 200) await sleep(250);
    }
    assert.equal(status, 200, "the pool recovered by itself");
  });
});

describe("one deadline per request on SQLite: queued behind a write lock another process holds", () => {
  let server: ServeProcess;
  const { dir, remove } = tempDir();
  const file = join(dir, "locked.db");

  before(async () => {
    // A process of its own: SQLite waits for a lock synchronously, and the
    // clients must not be held up with it.
    server = await spawnServe({
      DATABASE_URL: `sqlite:${file}`,
      DATABASE_TIMEOUT: `${DEADLINE_MS}ms`,
      BCRYPT_COST: "4",
    });
  });
  after(async () => {
    await stopServers([server]);
    remove();
  });

  test("writes sent together each get 503 within DATABASE_TIMEOUT, and none lands", async () => {
    const other = new BetterSqlite3(file);
    try {
      other.exec("BEGIN EXCLUSIVE");
      // The one connection is taken in turn: the first write waits for the
      // lock, the others for the connection behind it.
      const answers = await Promise.all(
        [1, 2, 3].map(async (n) => {
          const start = performance.now();
          const response = await request(server.url, "POST", "/users", {
            form: { email: `locked-${n}@example.com`, password: "b4l0u" },
          });
          return { response, ms: performance.now() - start };
        }),
      );
      console.log(`SQLite 503s after ${answers.map(({ ms }) => ms.toFixed(0)).join(", ")} ms`);
      for (const { response, ms } of answers) {
        assert.equal(response.status, 503, response.text);
        assert.ok(ms <= DEADLINE_MS + SLACK_MS, `503 after ${ms.toFixed(0)} ms`);
      }
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    const form = { email: "locked-1@example.com", password: "b4l0u" };
    const retried = await request(server.url, "POST", "/users", { form });
    assert.equal(retried.status, 200, "nothing had landed");
  });
});
