import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "../helpers/http.js";
import {
  type ProxiedPostgres,
  postgresFactory,
  proxiedPostgres,
} from "../helpers/proxied-postgres.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { countRows } from "../helpers/table-rows.js";
import type { TcpProxy } from "../helpers/tcp-proxy.js";

const { postgres, skip } = await postgresFactory();

const DEADLINE_MS = 1000;
const SLACK_MS = 400;

describe("a registration whose database connection stalls mid-write (PostgreSQL)", {
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
    });
  });
  after(async () => {
    try {
      await server?.close();
    } finally {
      await behind?.close();
    }
  });

  /** Registers with the proxy stalling where `stall` says; what the client and the database saw. */
  async function registerThroughStall(email: string, stall: () => void) {
    stall();
    const start = performance.now();
    const answer = await request(server.url, "POST", "/users", {
      form: { email, password: "b4l0u" },
    });
    const ms = performance.now() - start;
    // The network comes back: what was on the wire reaches the database.
    proxy.resume();
    await sleep(1500);
    const users = await countRows(behind.database.url, "users", `email_normalized = '${email}'`);
    const audited = await countRows(
      behind.database.url,
      "audit_log",
      `event = 'register' AND outcome = 'success' AND email = '${email}'`,
    );
    return { answer, ms, users, audited };
  }

  /** A client's retry after a 503, as docs/guides/deployment.md says: register again, then log in. */
  async function retry(email: string, landed: boolean): Promise<void> {
    const form = { email, password: "b4l0u" };
    const again = await request(server.url, "POST", "/users", { form });
    if (landed) assert.deepEqual(again.body, { message: "email already registered" });
    else assert.equal(again.status, 200, again.text);
    assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);
    const audited = await countRows(
      behind.database.url,
      "audit_log",
      `event = 'register' AND outcome = 'success' AND email = '${email}'`,
    );
    assert.equal(audited, 1, "one registration, one audit row");
  }

  test("stalled at the user's INSERT: 503 within the deadline, and nothing lands", async () => {
    const email = "stalled-insert@example.com";
    const seen = await registerThroughStall(email, () => proxy.stallOn('insert into "users"'));
    assert.equal(seen.answer.status, 503, seen.answer.text);
    assert.ok(seen.ms <= DEADLINE_MS + SLACK_MS, `503 after ${seen.ms.toFixed(0)} ms`);
    assert.equal(seen.audited, seen.users, "the audit row exists exactly when the user does");
    assert.equal(seen.users, 0, "the transaction never committed");
    await retry(email, false);
  });

  test("stalled at its COMMIT: 503 within the deadline; the user lands with its audit row", async () => {
    const email = "stalled-at-the-end@example.com";
    // The simple-protocol message Kysely sends: "commit" and its terminating NUL.
    const seen = await registerThroughStall(email, () =>
      proxy.stallOn("commit\u0000", { after: 'insert into "users"' }),
    );
    assert.equal(seen.answer.status, 503, seen.answer.text);
    assert.ok(seen.ms <= DEADLINE_MS + SLACK_MS, `503 after ${seen.ms.toFixed(0)} ms`);
    assert.equal(seen.users, 1, "the COMMIT was on the wire: the registration happened");
    assert.equal(seen.audited, 1, "and its audit row with it");
    await retry(email, true);
  });
});
