import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";

const ATTACKER = { "x-forwarded-for": "198.51.100.66" };
const VICTIM = { "x-forwarded-for": "203.0.113.5" };

test("a registration flood from one address leaves other addresses' logins working", {
  timeout: 60_000,
}, async () => {
  // Development mode (no registration limit): only the hashing lanes protect logins.
  const server = await startTestServer({
    TRUST_PROXY: "1",
    BCRYPT_COST: "9",
    MAX_CONCURRENT_HASHES: "2",
    HASH_QUEUE_LIMIT: "4",
  });
  try {
    const form = { email: "regular@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);

    let flooding = true;
    const floodStatuses: number[] = [];
    let sent = 0;
    const flooder = async () => {
      while (flooding) {
        const flood = { email: `flood-${sent++}@example.com`, password: "b4l0u" };
        const response = await request(server.url, "POST", "/users", {
          form: flood,
          headers: ATTACKER,
        });
        floodStatuses.push(response.status);
      }
    };
    const flooders = Array.from({ length: 24 }, flooder);
    // Let the flood fill every slot and queue before the logins arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const loginStatuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const login = await request(server.url, "POST", "/sessions", { form, headers: VICTIM });
      loginStatuses.push(login.status);
    }
    flooding = false;
    await Promise.all(flooders);

    assert.ok(
      floodStatuses.filter((status) => status === 503).length > 0,
      `the flood overflowed its own queue: ${floodStatuses.length} requests`,
    );
    assert.deepEqual(loginStatuses, Array(8).fill(200), "every login of another address");
  } finally {
    await server.close();
  }
});

test("registrations are limited per address and in all; other addresses still register", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer({
    TRUST_PROXY: "1",
    REGISTRATION_MAX_PER_IP: "3",
    REGISTRATION_MAX_TOTAL: "5",
  });
  try {
    const register = (email: string, headers: Record<string, string>) =>
      request(server.url, "POST", "/users", { form: { email, password: "b4l0u" }, headers });
    for (let i = 0; i < 3; i++) {
      assert.equal((await register(`a${i}@example.com`, ATTACKER)).status, 200);
    }
    const refused = await register("a3@example.com", ATTACKER);
    assert.equal(refused.status, 429);
    assert.equal((refused.body as { error: string }).error, "throttled");
    assert.ok(Number(refused.headers.get("retry-after")) > 0);

    // Another address has its own allowance, up to the overall limit (5).
    assert.equal((await register("b0@example.com", VICTIM)).status, 200);
    assert.equal((await register("b1@example.com", VICTIM)).status, 200);
    assert.equal((await register("b2@example.com", VICTIM)).status, 429, "the overall limit");

    // A taken email costs no hash, so it spends no allowance (else free
    // requests could shut registration for everyone).
    for (let i = 0; i < 5; i++) {
      const taken = await register("b0@example.com", { "x-forwarded-for": "192.0.2.99" });
      assert.equal(taken.status, 400);
    }
    await server.service.audit.flush();
    const throttled = (await server.service.audit.list()).filter(
      (entry) => entry.event === "register" && entry.outcome === "throttled",
    );
    assert.ok(throttled.length >= 1, "refused registrations are in the audit trail");
    const metrics = (await request(server.url, "GET", "/metrics")).text;
    assert.match(metrics, /auth_throttled_requests_total\{kind="registration"\} 2/);
  } finally {
    await server.close();
  }
});

test("an IPv6 client counts by its /64: other addresses of its block share its allowance", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer({ TRUST_PROXY: "1", REGISTRATION_MAX_PER_IP: "2" });
  try {
    const register = (email: string, address: string) =>
      request(server.url, "POST", "/users", {
        form: { email, password: "b4l0u" },
        headers: { "x-forwarded-for": address },
      });
    assert.equal((await register("v6-a@example.com", "2001:db8:1:1::1")).status, 200);
    assert.equal((await register("v6-b@example.com", "2001:DB8:1:1:0:0:0:2")).status, 200);
    assert.equal((await register("v6-c@example.com", "2001:db8:1:1:ffff::9")).status, 429);
    assert.equal(
      (await register("v6-d@example.com", "2001:db8:1:2::1")).status,
      200,
      "another /64",
    );
  } finally {
    await server.close();
  }
});
