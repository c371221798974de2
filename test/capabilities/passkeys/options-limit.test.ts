import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PasskeyTables } from "../../../src/capabilities/passkeys/kysely-passkey-store.js";
import { connect } from "../../../src/platform/db/connect.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";

const FLOODER = { "x-forwarded-for": "198.51.100.77" };
const SAME_SLASH_64 = [
  { "x-forwarded-for": "2001:db8:1:2::a" },
  { "x-forwarded-for": "2001:db8:1:2:ffff::b" },
];
const OTHER = { "x-forwarded-for": "203.0.113.9" };

for (const factory of await testDatabases()) {
  describe(`passkey sign-in options limited per address on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({
        DATABASE_URL: database.url,
        TRUST_PROXY: "1",
        PASSKEY_OPTIONS_MAX_PER_IP: "3",
        PASSKEY_OPTIONS_WINDOW: "1m",
      });
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    const options = (headers: Record<string, string>) =>
      request(server.url, "POST", "/passkeys/authentication/options", { headers });

    test("three options per address, then 429 throttled with Retry-After; other addresses go on", {
      timeout: 60_000,
    }, async () => {
      for (let i = 0; i < 3; i++) {
        const answer = await options(FLOODER);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(typeof (answer.body as { challenge: string }).challenge, "string");
      }
      const refused = await options(FLOODER);
      assert.equal(refused.status, 429, refused.text);
      const body = refused.body as { error: string; message: string; challenge?: string };
      assert.equal(body.error, "throttled");
      assert.equal(typeof body.message, "string");
      assert.equal(body.challenge, undefined, "no challenge handed out");
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

      // Another address has its own allowance.
      assert.equal((await options(OTHER)).status, 200);
      // IPv6 addresses of one /64 share one.
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await options(SAME_SLASH_64[i % 2] as Record<string, string>)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    });

    test("a refused request stays refused and spends no challenge", {
      timeout: 60_000,
    }, async () => {
      const before = await challengeCount();
      const refused = await options(FLOODER);
      assert.equal(refused.status, 429);
      assert.equal(await challengeCount(), before);
    });

    /** Challenges stored, read straight from the database. */
    async function challengeCount(): Promise<number> {
      const { db } = connect({ url: database.url });
      try {
        const tables = db.$extendTables<PasskeyTables>();
        const row = await tables
          .selectFrom("passkey_challenges")
          .select((eb) => eb.fn.countAll().as("count"))
          .executeTakeFirstOrThrow();
        return Number(row.count);
      } finally {
        await db.destroy();
      }
    }
  });
}
