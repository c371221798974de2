import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { type FuzzRequest, fuzzRequest, problemWith, send } from "../helpers/fuzz.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

/** The property: no 5xx, errors are JSON with a message, and the server keeps answering. */
async function fuzz(server: TestServer, options: { seed?: number; numRuns: number }) {
  const statuses = new Map<number, number>();
  // A live key with every scope, so requests reach the admin routes' own checks.
  const { key } = await server.service.apiKeys.create({
    name: `fuzz-${options.seed ?? "random"}`,
    scopes: ["users:read", "users:write", "audit:read"],
  });
  await fc.assert(
    fc.asyncProperty(fuzzRequest, async (input: FuzzRequest) => {
      // A large body goes several times at once: refusing one raced with the
      // request log and killed the process, which one at a time never showed.
      const copies = (input.body?.length ?? 0) > 60_000 ? 4 : 1;
      const responses = await Promise.all(
        Array.from({ length: copies }, () => send(server.url, input, key)),
      );
      for (const response of responses) {
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const problem = problemWith(input, response);
        assert.equal(problem, null, `${input.method} ${input.path}: ${problem}`);
      }
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

/**
 * Requests per run. The fixed seed is the long run; on PostgreSQL every
 * request that reaches a query pays a round trip, so it gets fewer, enough to
 * cross every route with every kind of field (NUL, lone surrogates included).
 */
const RUNS = {
  sqlite: { fixed: 10_000, random: 1500 },
  postgres: { fixed: 4000, random: 1000 },
} as const;

for (const factory of await testDatabases()) {
  const runs = RUNS[factory.name];
  describe(`fuzzing the real server, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let smtp: TestSmtpServer | undefined;
    const databases: TestDatabase[] = [];
    let development: TestServer;
    let production: TestServer;
    const startOn = async (env: Record<string, string>): Promise<TestServer> => {
      if ("skip" in factory) throw new Error(factory.skip);
      const database = await factory.create();
      databases.push(database);
      return startTestServer({ ...FUZZ_ENV, ...env, DATABASE_URL: database.url });
    };
    before(async () => {
      smtp = await startSmtpServer();
      development = await startOn({});
      production = await startOn({
        ...productionMailEnv(smtp),
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
      // Every database made is dropped, whatever failed before.
      const closing = [development?.close(), production?.close(), smtp?.close()];
      await Promise.allSettled(closing);
      await Promise.all(databases.map((database) => database.drop()));
    });

    test(`fixed seed, ${runs.fixed} requests, development mode: zero 5xx`, {
      timeout: 120_000,
    }, async () => {
      const statuses = await fuzz(development, { seed: 20_261_124, numRuns: runs.fixed });
      // Every request answered (large bodies went several times at once).
      assert.ok([...statuses.values()].reduce((a, b) => a + b, 0) >= runs.fixed);
      assert.ok(![...statuses.keys()].some((status) => status >= 500));
      // The run reached the routes, not only 404s.
      for (const status of [200, 400, 401, 403, 404, 405, 413, 415])
        assert.ok(statuses.has(status), `${status}`);
      await assertStillServes(development, "survivor@example.com", "b4l0u");
    });

    test(`random seed, ${runs.random} requests, production mode: zero 5xx, mail path included`, {
      timeout: 60_000,
    }, async () => {
      await fuzz(production, { numRuns: runs.random });
      await production.service.outbox?.drain();
      await assertStillServes(production, "survivor@example.com", "survive the storm");
    });
  });
}
