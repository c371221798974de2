import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// One hash at a time and room to queue: the flood waits instead of being refused.
let server: TestServer;
before(async () => {
  server = await startTestServer({
    BCRYPT_COST: "10",
    MAX_CONCURRENT_HASHES: "1",
    HASH_QUEUE_LIMIT: "32",
    TRUST_PROXY: "1",
  });
});
after(async () => {
  await server.close();
});

test("a login flood from one address does not hold another address's login behind it", {
  timeout: 60_000,
}, async () => {
  const form = { email: "fair@example.com", password: "fair-share-pass" };
  assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
  const finished: string[] = [];
  const from = (address: string) => ({ "x-forwarded-for": address });
  const flood = Array.from({ length: 20 }, (_, i) =>
    request(server.url, "POST", "/sessions", {
      form: { email: `nobody${i}@example.com`, password: "guess" },
      headers: from("198.51.100.7"),
    }).then((r) => finished.push(`flood:${r.status}`)),
  );
  // Wait until the flood fills the queue, then log in from elsewhere.
  const { hasher } = server.service.auth;
  while (hasher.load.queued < 15) await sleep(2);
  const before = finished.length;
  const login = request(server.url, "POST", "/sessions", {
    form,
    headers: from("203.0.113.9"),
  }).then((r) => finished.push(`other:${r.status}`));
  await Promise.all([...flood, login]);
  const position = finished.indexOf("other:200");
  assert.ok(position >= 0, `the other login succeeded: ${finished}`);
  // Round robin: behind the running hash and one turn of the flood at most,
  // not behind the 15 and more the flood had queued.
  const floodAnswersBefore = position - before;
  assert.ok(floodAnswersBefore <= 5, `${floodAnswersBefore} flood answers first: ${finished}`);
});
