import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { OidcDb } from "../../../src/capabilities/oidc-provider/index.js";
import { connect } from "../../../src/platform/db/connect.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followWithConsent,
  keepCookies,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 60_000 };
const PASSWORD = "a strong passphrase";
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

for (const factory of await testDatabases()) {
  describe(`the provider's device form and anonymous sessions, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let rows: { db: OidcDb; destroy(): Promise<void> };
    let base = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      // Three posts of the device form per address; each test its own address.
      server = await startTestServer({
        DATABASE_URL: database.url,
        DEVICE_CODE_ENTRIES_MAX_PER_IP: "3",
        TRUST_PROXY: "1",
      });
      base = `http://localhost:${server.port}`;
      const { db } = connect({ url: database.url });
      rows = { db: db as unknown as OidcDb, destroy: () => db.destroy() };
    });
    after(async () => {
      try {
        await rows?.destroy();
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    /** When the provider's session row of this id expires (ms since the epoch). */
    const sessionExpiry = async (id: string): Promise<number> => {
      const row = await rows.db
        .selectFrom("oidc_payloads")
        .select("expires_at")
        .where("model", "=", "Session")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      return Number(row.expires_at);
    };

    test(
      "the form posted without a session starts afresh; with an unknown one, the form again",
      T,
      async () => {
        const form = { xsrf: "forged", user_code: "BCDF-GHJK" };
        const bare = await request(base, "POST", "/oidc/device", { form });
        assert.equal(bare.status, 303, bare.text);
        assert.equal(bare.headers.get("location"), "/oidc/device");

        // A session cookie that names no stored session: oidc-provider's error
        // answer used to end in a TypeError (500, a stack trace in the log).
        const unknown = await request(base, "POST", "/oidc/device", {
          form,
          cookie: "_session=never-stored; _session.sig=forged",
        });
        assert.equal(unknown.status, 400, unknown.text);
        assert.match(unknown.text, /name="user_code"/);
        assert.doesNotMatch(unknown.text, /TypeError|at \w+ \(/);

        const fresh = await request(base, "GET", "/oidc/device");
        assert.equal(fresh.status, 200);
        assert.match(fresh.text, /name="user_code"/);
      },
    );

    test(
      "guessing user codes: past three posts from one address, 429 until the window ends",
      T,
      async () => {
        const from = (address: string) => ({ "x-forwarded-for": address });
        const formOf = async (address: string) => {
          const jar: CookieJar = new Map();
          const answer = await fetch(`${base}/oidc/device`, { headers: from(address) });
          keepCookies(jar, answer);
          const xsrf = /name="xsrf" value="([^"]+)"/.exec(await answer.text())?.[1];
          assert.ok(xsrf, "the form carries its xsrf secret");
          const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
          return { cookie, xsrf };
        };
        // Each answer's form carries a new xsrf secret, as a browser would send it.
        const guess = async (address: string, form: { cookie: string; xsrf: string }) => {
          const answer = await request(base, "POST", "/oidc/device", {
            cookie: form.cookie,
            headers: from(address),
            form: { xsrf: form.xsrf, user_code: "BCDF-GHJK" },
          });
          form.xsrf = /name="xsrf" value="([^"]+)"/.exec(answer.text)?.[1] ?? form.xsrf;
          return answer;
        };
        const guesser = await formOf("203.0.113.7");
        for (let attempt = 1; attempt <= 3; attempt++) {
          const wrong = await guess("203.0.113.7", guesser);
          // oidc-provider answers a wrong code with its form again, and a 200.
          assert.equal(wrong.status, 200, `attempt ${attempt}: ${wrong.text}`);
          assert.match(wrong.text, /That code is not right/);
        }
        const refused = await guess("203.0.113.7", guesser);
        assert.equal(refused.status, 429, refused.text);
        assert.ok(Number(refused.headers.get("retry-after")) > 0);
        assert.match(refused.text, /Too many attempts\. Try again in 15 minutes/);
        assert.doesNotMatch(refused.text, /name="user_code"/);

        // Another address is not held back by the first one's guesses.
        const neighbour = await guess("203.0.113.8", await formOf("203.0.113.8"));
        assert.equal(neighbour.status, 200, neighbour.text);
        assert.match(neighbour.text, /That code is not right/);
      },
    );

    test(
      "an anonymous visit's session is kept an hour, a signed-in one as long as the service's",
      T,
      async () => {
        const jar: CookieJar = new Map();
        const started = Date.now();
        const visit = await fetch(`${base}/oidc/device`);
        assert.equal(visit.status, 200);
        keepCookies(jar, visit);
        const anonymous = jar.get("_session") ?? "";
        assert.ok(anonymous, "the visit has a provider session");
        const anonymousExpiry = await sessionExpiry(anonymous);
        assert.ok(anonymousExpiry >= started + HOUR_MS - 5_000, `${anonymousExpiry - started} ms`);
        assert.ok(
          anonymousExpiry <= Date.now() + HOUR_MS + 5_000,
          `${anonymousExpiry - started} ms`,
        );

        const email = `device-${Date.now()}@example.com`;
        const registered = await request(server.url, "POST", "/users", {
          form: { email, password: PASSWORD },
        });
        assert.equal(registered.status, 200);
        await serviceLogin(base, jar, email, PASSWORD);
        const made = await server.service.oidc.clients.create({
          name: "first party",
          redirectUris: [REDIRECT],
          firstParty: true,
        });
        const config = await discover(server, made.clientId, made.clientSecret);
        const landed = await followWithConsent((await codeFlowStart(config)).url, jar);
        assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
        const signedIn = jar.get("_session") ?? "";
        // SESSION_LIFETIME's 30 days, capped at the provider's 14.
        assert.ok((await sessionExpiry(signedIn)) > Date.now() + 13 * DAY_MS);
      },
    );
  });
}
