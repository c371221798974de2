import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { type FuzzRequest, fuzzRequest, problemWith, send } from "../helpers/fuzz.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

/** The property: no 5xx, errors are JSON with a message, and the server keeps answering. */
async function fuzz(server: TestServer, options: { seed?: number; numRuns: number }) {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fuzzRequest, async (input: FuzzRequest) => {
      const response = await send(server.url, input);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const problem = problemWith(input, response);
      assert.equal(problem, null, `${input.method} ${input.path}: ${problem}`);
    }),
    { ...options, endOnFailure: true },
  );
  return statuses;
}

/** A user made before the storm still logs in and reads their profile after it. */
async function assertStillServes(server: TestServer, email: string, password: string) {
  assert.equal((await request(server.url, "GET", "/health")).status, 200);
  const login = await request(server.url, "POST", "/sessions", { form: { email, password } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const profile = await request(server.url, "GET", "/profile", {
    cookie: `session_id=${sessionCookieOf(login)}`,
  });
  assert.deepEqual(profile.body, { email });
}

// Per-address login locking is off: every request comes from 127.0.0.1, and a
// lock would turn the rest of the run (and the final login) into 429s.
const FUZZ_ENV = { LOGIN_IP_MAX_FAILURES: "0", BODY_LIMIT: "65536" };

describe("fuzzing the real server", () => {
  let smtp: TestSmtpServer;
  let development: TestServer;
  let production: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    development = await startTestServer(FUZZ_ENV);
    production = await startTestServer({
      ...FUZZ_ENV,
      AUTH_MODE: "production",
      SMTP_URL: smtp.url,
      MAIL_FROM: "no-reply@example.test",
      PUBLIC_URL: "https://auth.example.test",
      RESET_MAX_PER_IP: "0",
    });
    await request(development.url, "POST", "/users", {
      form: { email: "survivor@example.com", password: "b4l0u" },
    });
    await request(production.url, "POST", "/users", {
      form: { email: "survivor@example.com", password: "survive the storm" },
    });
  });
  after(async () => {
    await development?.close();
    await production?.close();
    await smtp?.close();
  });

  test("fixed seed, 10,000 requests, development mode: zero 5xx", async () => {
    const statuses = await fuzz(development, { seed: 20_261_124, numRuns: 10_000 });
    assert.equal(
      [...statuses.values()].reduce((a, b) => a + b, 0),
      10_000,
    );
    assert.ok(![...statuses.keys()].some((status) => status >= 500));
    // The run reached the routes, not only 404s.
    for (const status of [200, 400, 403, 404, 405, 415])
      assert.ok(statuses.has(status), `${status}`);
    await assertStillServes(development, "survivor@example.com", "b4l0u");
  });

  test("random seed, production mode: zero 5xx, mail path included", async () => {
    await fuzz(production, { numRuns: 1500 });
    await production.service.outbox?.drain();
    await assertStillServes(production, "survivor@example.com", "survive the storm");
  });
});
