import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// One hash at a time, two waiting: a burst of logins overflows at once.
let server: TestServer;
before(async () => {
  server = await startTestServer({
    BCRYPT_COST: "10",
    MAX_CONCURRENT_HASHES: "1",
    HASH_QUEUE_LIMIT: "2",
  });
});
after(async () => {
  await server.close();
});

test("past the hash queue, logins get 503 with Retry-After at once, and sessions keep working", async () => {
  const form = { email: "storm@example.com", password: "storm-pass" };
  assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
  const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;

  const timed = async (call: () => ReturnType<typeof request>) => {
    const start = performance.now();
    const response = await call();
    return { response, ms: performance.now() - start };
  };
  const storm = Array.from({ length: 12 }, () =>
    timed(() => request(server.url, "POST", "/sessions", { form })),
  );
  const profile = await timed(() => request(server.url, "GET", "/profile", { cookie }));
  const logins = await Promise.all(storm);

  const ok = logins.filter(({ response }) => response.status === 200);
  const busy = logins.filter(({ response }) => response.status === 503);
  assert.equal(
    ok.length + busy.length,
    12,
    `statuses: ${logins.map(({ response }) => response.status)}`,
  );
  assert.ok(ok.length >= 3, "the slot and the queue were served");
  assert.ok(busy.length >= 6, "the rest were refused");
  const slowestOk = Math.max(...ok.map(({ ms }) => ms));
  for (const { response, ms } of busy) {
    assert.equal(response.headers.get("retry-after"), "1");
    assert.equal((response.body as { error: string }).error, "busy");
    assert.ok(
      ms < slowestOk,
      `refused at once (${ms.toFixed(0)} ms), not after the queue (${slowestOk.toFixed(0)} ms)`,
    );
  }
  assert.equal(profile.response.status, 200);
  assert.ok(
    profile.ms < 200,
    `GET /profile answered in ${profile.ms.toFixed(0)} ms during the storm`,
  );

  // The refusals are in the audit trail as two rows, not one per refusal.
  const refused = (await server.service.audit.list()).filter((entry) => entry.outcome === "busy");
  assert.equal(refused.length, 2, "the first refusal, then one row summing up the others");
  assert.deepEqual(
    refused.map((entry) => entry.repeats),
    [1, busy.length - 1],
  );
});
