import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { CookieJar } from "./jar.js";
import { startUpstream, type Upstream } from "./upstream.js";

const PASSWORD = "b4l0u-attacked";

/** The penetration test's attacks on accounts, each through the server and a real OpenID provider. */
for (const factory of await testDatabases()) {
  describe(`social login resists the account attacks, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let upstream: Upstream;
    let base: string;
    const clock = manualClock(Date.now());

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer(
        { DATABASE_URL: database.url, LOGIN_IP_MAX_FAILURES: "0" },
        { now: clock.now },
      );
      base = `http://localhost:${server.port}`;
      upstream = await startUpstream([`${base}/login/up/callback`]);
      await server.service.auth.socialLogin.providers.add({
        id: "up",
        name: "Upstream",
        kind: "oidc",
        issuer: upstream.issuer,
        clientId: upstream.clientId,
        clientSecret: upstream.clientSecret,
      });
    });
    after(async () => {
      await upstream?.close();
      await server?.close();
      await database?.drop();
    });

    /** From /login/up (with `query`) to the service's callback, which is not fetched yet. */
    async function toCallback(jar: CookieJar, query = ""): Promise<string> {
      const started = await jar.follow(`${base}/login/up${query}`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      assert.ok(started.stoppedAt, `no callback: ${started.response.status}`);
      return started.stoppedAt;
    }
    const callback = async (jar: CookieJar, query = "") => jar.fetch(await toCallback(jar, query));
    const register = (email: string) =>
      request(server.url, "POST", "/users", { form: { email, password: PASSWORD } });
    const signedInJar = async (email: string) => {
      const jar = new CookieJar();
      const answer = await jar.post(`${base}/account/login`, { email, password: PASSWORD });
      assert.equal(answer.status, 303, await answer.text());
      return jar;
    };
    const userIdOf = async (email: string) =>
      (await server.service.store.findUser({ email }))?.id ?? 0;
    const identitiesOf = async (email: string) =>
      server.service.auth.socialLogin.identities(await userIdOf(email));

    test("an address the provider does not vouch for pre-creates nothing: the owner registers, resets, and the attacker stays out", {
      timeout: 90_000,
    }, async () => {
      const victim = `victim-${factory.name}@example.com`;
      upstream.signInAs({ sub: "attacker-sub", email: victim, email_verified: false });
      const first = new CookieJar();
      const refused = await callback(first);
      assert.equal(refused.status, 403, await refused.text());
      assert.equal(await server.service.store.findUser({ email: victim }), null);
      // The owner registers the address and takes it over through a reset.
      assert.equal((await register(victim)).status, 200);
      const asked = await request(server.url, "POST", "/reset_password", {
        form: { email: victim },
      });
      const token = (asked.body as { reset_token: string }).reset_token;
      const reset = await request(server.url, "PUT", "/reset_password", {
        form: { email: victim, reset_token: token, new_password: `${PASSWORD}-new` },
      });
      assert.equal(reset.status, 200, reset.text);
      // The attacker's unverified claim opens nothing, not even the link page.
      const again = new CookieJar();
      const answer = await callback(again);
      assert.equal(answer.status, 403);
      assert.equal(again.get(base, "session_id"), undefined);
      assert.deepEqual(await identitiesOf(victim), []);
    });

    test("upstream addresses follow registration's rules; control characters are a 4xx page, never a 500", {
      timeout: 90_000,
    }, async () => {
      const target = `rules-${factory.name}@example.com`;
      assert.equal((await register(target)).status, 200);
      const spellings = [
        `${target} `,
        `${target}.`,
        "x@xn--80ak6aa92e.com",
        "plainstring",
        "a@b",
        `nul\u0000${factory.name}@example.com`,
        `lone\ud800${factory.name}@example.com`,
      ];
      for (const [index, email] of spellings.entries()) {
        upstream.signInAs({ sub: `spelling-${index}`, email, email_verified: true });
        const jar = new CookieJar();
        const answer = await callback(jar);
        assert.equal(answer.status, 403, `${JSON.stringify(email)}: ${await answer.text()}`);
        assert.equal(jar.get(base, "session_id"), undefined);
      }
      for (const sub of ["nul\u0000sub", "x".repeat(300), "bell\u0007"]) {
        upstream.signInAs({ sub, email: `sub-${sub.length}@example.com`, email_verified: true });
        const answer = await callback(new CookieJar());
        assert.equal(answer.status, 400, JSON.stringify(sub));
      }
      assert.deepEqual(await identitiesOf(target), []);
    });

    test("Link another needs a recent sign-in, else the password now; a stolen old session alone links nothing", {
      timeout: 90_000,
    }, async () => {
      const email = `linker-${factory.name}@example.com`;
      await register(email);
      const jar = await signedInJar(email);
      clock.advance(6 * 60_000);
      upstream.signInAs({
        sub: `intruder-${factory.name}`,
        email: "intruder@example.com",
        email_verified: true,
      });
      const asked = await jar.fetch(`${base}/login/up?link=1`);
      const page = await asked.text();
      assert.equal(asked.status, 403, page);
      assert.match(page, /action="\/login\/up\/link"/);
      assert.match(page, /name="password"/);
      assert.equal(jar.get(base, "social_state"), undefined, "no flow began");
      const wrong = await jar.post(`${base}/login/up/link`, { password: "not-it" });
      assert.equal(wrong.status, 403);
      assert.equal(jar.get(base, "social_state"), undefined);
      const right = await jar.post(`${base}/login/up/link`, { password: PASSWORD });
      assert.equal(right.status, 302, await right.text());
      const done = await jar.follow(right.headers.get("location") ?? "", (url) =>
        url.pathname.endsWith("/callback"),
      );
      const back = await jar.fetch(done.stoppedAt ?? "");
      assert.equal(back.status, 303);
      assert.equal(back.headers.get("location"), "/account#identities");
      assert.equal((await identitiesOf(email)).length, 1);
    });

    test("a link started before logout does not complete after it", {
      timeout: 90_000,
    }, async () => {
      const email = `logout-${factory.name}@example.com`;
      await register(email);
      const jar = await signedInJar(email);
      upstream.signInAs({
        sub: `after-logout-${factory.name}`,
        email: "other@example.com",
        email_verified: true,
      });
      const pending = await toCallback(jar, "?link=1");
      assert.equal((await jar.post(`${base}/account/logout`, {})).status, 303);
      const answer = await jar.fetch(pending);
      assert.equal(answer.status, 403, await answer.text());
      assert.deepEqual(await identitiesOf(email), []);
    });

    test("two unlinks at once leave the account a way in: one answers 409 last_way_in", {
      timeout: 90_000,
    }, async () => {
      const email = `racer-${factory.name}@example.com`;
      upstream.signInAs({ sub: `racer-a-${factory.name}`, email, email_verified: true });
      const jar = new CookieJar();
      assert.equal((await callback(jar)).status, 303);
      upstream.signInAs({
        sub: `racer-b-${factory.name}`,
        email: "b@example.com",
        email_verified: true,
      });
      // The same session, without the provider's cookies: the provider asks who signs in again.
      const linking = new CookieJar();
      linking.set(base, "session_id", jar.get(base, "session_id") ?? "");
      assert.equal((await callback(linking, "?link=1")).status, 303);
      const ids = (await identitiesOf(email)).map((identity) => identity.id);
      assert.equal(ids.length, 2);
      const answers = await Promise.all(
        ids.map((id) => jar.fetch(`${base}/identities/${id}`, { method: "DELETE" })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [200, 409]);
      assert.equal((await identitiesOf(email)).length, 1);
    });

    test("bad input on the new link route: 4xx, never 500", { timeout: 90_000 }, async () => {
      const signedOut = await new CookieJar().post(`${base}/login/up/link`, { password: "x" });
      assert.equal(signedOut.status, 303);
      assert.equal(signedOut.headers.get("location"), "/account/login");
      const email = `bad-link-${factory.name}@example.com`;
      await register(email);
      const jar = await signedInJar(email);
      clock.advance(6 * 60_000);
      const answers: Array<[string, number]> = [];
      const check = async (label: string, response: Promise<Response>) => {
        answers.push([label, (await response).status]);
      };
      await check("unknown provider", jar.post(`${base}/login/nope/link`, { password: PASSWORD }));
      await check("bad provider id", jar.post(`${base}/login/UP!/link`, { password: PASSWORD }));
      await check("no password", jar.post(`${base}/login/up/link`, {}));
      await check(
        "long password",
        jar.post(`${base}/login/up/link`, { password: "p".repeat(5000) }),
      );
      await check("NUL password", jar.post(`${base}/login/up/link`, { password: "a\u0000b" }));
      await check(
        "JSON array",
        jar.fetch(`${base}/login/up/link`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "[1]",
        }),
      );
      await check(
        "bad return_to",
        jar.post(`${base}/login/up/link`, { password: "x", return_to: "https://evil.example" }),
      );
      const bad = answers.filter(([, status]) => status < 400 || status >= 500);
      assert.deepEqual(bad, [], answers.map((each) => each.join(" ")).join("\n"));
    });
  });
}
