import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Metrics } from "../../src/core/http/metrics.js";
import { testDatabases } from "../helpers/databases.js";
import { request } from "../helpers/http.js";
import { startBuiltApp, startTestServer, type TestServer } from "../helpers/server.js";

let open: TestServer;
let guarded: TestServer;
before(async () => {
  open = await startTestServer();
  guarded = await startTestServer({ METRICS_TOKEN: "s3cret-metrics-token" });
});
after(async () => {
  await open.close();
  await guarded.close();
});

function value(text: string, metric: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(metric));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

test("/metrics counts logins by outcome, registrations, resets and requests by route", async () => {
  const form = { email: "metrics@example.com", password: "b4l0u" };
  const before = (await request(open.url, "GET", "/metrics")).text;
  await request(open.url, "POST", "/users", { form });
  await request(open.url, "POST", "/users", { form });
  await request(open.url, "POST", "/sessions", { form });
  await request(open.url, "POST", "/sessions", { form: { ...form, password: "wrong-one" } });
  await request(open.url, "POST", "/reset_password", { form: { email: form.email } });
  const r = await request(open.url, "GET", "/metrics");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
  const text = r.text;
  const delta = (metric: string) => value(text, metric) - value(before, metric);
  assert.equal(delta('auth_logins_total{outcome="success"}'), 1);
  assert.equal(delta('auth_logins_total{outcome="failure"}'), 1);
  assert.equal(delta('auth_registrations_total{outcome="success"}'), 1);
  assert.equal(delta('auth_registrations_total{outcome="taken"}'), 1);
  assert.equal(delta('auth_password_resets_total{stage="requested"}'), 1);
  assert.ok(delta('auth_password_hash_duration_seconds_count{operation="verify"}') >= 2);
  assert.ok(
    value(
      text,
      'http_request_duration_seconds_count{method="POST",route="/sessions",status_code="401"}',
    ) >= 1,
  );
  assert.match(text, /process_resident_memory_bytes/);
  assert.ok(
    !text.includes("b4l0u") && !text.includes("metrics@example.com"),
    "no user data in labels",
  );
});

test("METRICS_TOKEN requires the bearer token", async () => {
  assert.equal((await request(guarded.url, "GET", "/metrics")).status, 401);
  const wrong = await request(guarded.url, "GET", "/metrics", {
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(wrong.status, 401);
  const right = await request(guarded.url, "GET", "/metrics", {
    headers: { authorization: "Bearer s3cret-metrics-token" },
  });
  assert.equal(right.status, 200);
  assert.match(right.text, /auth_logins_total/);
});

test("/metrics shows the database pool and throttled requests", async () => {
  const server = await startTestServer({ LOGIN_MAX_FAILURES: "1", LOGIN_LOCKOUT_BASE: "1m" });
  try {
    const form = { email: "locked@example.com", password: "wrong-one" };
    await request(server.url, "POST", "/sessions", { form });
    const throttled = await request(server.url, "POST", "/sessions", { form });
    assert.equal(throttled.status, 429);
    const text = (await request(server.url, "GET", "/metrics")).text;
    assert.equal(value(text, 'auth_throttled_requests_total{kind="login"}'), 1);
    // SQLite: one connection, idle between requests, nobody waiting.
    assert.equal(value(text, 'auth_db_pool_connections{state="max"}'), 1);
    assert.equal(value(text, 'auth_db_pool_connections{state="open"}'), 1);
    assert.equal(value(text, 'auth_db_pool_connections{state="waiting"}'), 0);
  } finally {
    await server.close();
  }
});

test("an app built with metrics and no logger still times every request", async () => {
  // Fastify reports finished answers (which feed the histogram) only to a logger's controller.
  const { url, close } = await startBuiltApp({ metrics: new Metrics() });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await request(url, "GET", "/")).status, 200);
    const text = (await request(url, "GET", "/metrics")).text;
    assert.equal(
      value(text, 'http_request_duration_seconds_count{method="GET",route="/",status_code="200"}'),
      3,
    );
  } finally {
    await close();
  }
});

const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");
test("/metrics shows the PostgreSQL pool", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, async () => {
  if (!postgres || "skip" in postgres) return;
  const database = await postgres.create();
  try {
    const server = await startTestServer({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: "7" });
    try {
      await request(server.url, "GET", "/ready");
      const text = (await request(server.url, "GET", "/metrics")).text;
      assert.equal(value(text, 'auth_db_pool_connections{state="max"}'), 7);
      assert.ok(value(text, 'auth_db_pool_connections{state="open"}') >= 1);
      assert.ok(value(text, 'auth_db_pool_connections{state="idle"}') >= 1);
    } finally {
      await server.close();
    }
  } finally {
    await database.drop();
  }
});
