import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { turnOnTotp } from "../../helpers/totp.js";
import { startWebhookReceiver } from "../../helpers/webhook-receiver.js";
import { CookieJar } from "./jar.js";
import { startUpstream, type Upstream } from "./upstream.js";

const PASSWORD = "b4l0u-social";

for (const factory of await testDatabases()) {
  describe(`social login through a real OpenID provider, on ${factory.name}`, {
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
      const added = await server.service.auth.socialLogin.providers.add({
        id: "up",
        name: "Upstream",
        kind: "oidc",
        issuer: upstream.issuer,
        clientId: upstream.clientId,
        clientSecret: upstream.clientSecret,
      });
      assert.equal(added, true);
    });
    after(async () => {
      await upstream?.close();
      await server?.close();
      await database?.drop();
    });

    /** From /login/up (with `query`) to the service's callback answer, in `jar`. */
    async function signInUpstream(jar: CookieJar, query = "") {
      const started = await jar.follow(`${base}/login/up${query}`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      assert.ok(
        started.stoppedAt,
        `no callback: ${started.response.status} ${await started.response.text()}`,
      );
      const callbackUrl = started.stoppedAt;
      return { callbackUrl, answer: await jar.fetch(callbackUrl) };
    }

    /** 200 when the jar holds a session; /profile answers 403 without one (the original's answer). */
    async function profileStatus(jar: CookieJar): Promise<number> {
      return (await jar.fetch(`${base}/profile`)).status;
    }

    test("a new email makes an account without a password, verified, and goes back to return_to; the identity signs it in again", {
      timeout: 60_000,
    }, async () => {
      upstream.signInAs({ sub: "new-1", email: "new-1@example.com", email_verified: true });
      const jar = new CookieJar();
      const { callbackUrl, answer } = await signInUpstream(jar, "?return_to=%2Faccount%3Ftab%3D1");
      const callback = new URL(callbackUrl);
      assert.equal(callback.searchParams.get("iss"), upstream.issuer, "RFC 9207 iss sent");
      assert.equal(answer.status, 303, await answer.text());
      assert.equal(answer.headers.get("location"), "/account?tab=1");
      assert.equal(await profileStatus(jar), 200);
      const profile = (await (await jar.fetch(`${base}/profile`)).json()) as { email: string };
      assert.equal(profile.email, "new-1@example.com");
      const record = await server.service.store.findUser({ email: "new-1@example.com" });
      assert.equal(record?.hashedPassword, null, "no password");
      assert.ok(record?.emailVerifiedAt, "verified: the provider said so");
      assert.equal(
        upstream.tokenAuth.basic > 0 && upstream.tokenAuth.post === 0,
        true,
        "client_secret_basic",
      );
      const listed = (await (await jar.fetch(`${base}/identities`)).json()) as {
        identities: Array<{ id: string; provider: string; email: string; linkedAt: string }>;
      };
      assert.equal(listed.identities.length, 1);
      assert.equal(listed.identities[0]?.provider, "up");
      assert.equal(listed.identities[0]?.email, "new-1@example.com");

      // Another browser: the linked identity signs the same account in.
      const again = new CookieJar();
      const second = await signInUpstream(again);
      assert.equal(second.answer.status, 303);
      assert.equal(second.answer.headers.get("location"), "/account");
      const user = await server.service.auth.getUserFromSessionId(again.get(base, "session_id"));
      assert.equal(user?.id, record?.id);

      // Its last way in cannot be unlinked.
      const id = listed.identities[0]?.id ?? "";
      const refused = await jar.fetch(`${base}/identities/${id}`, { method: "DELETE" });
      assert.equal(refused.status, 409);
      assert.equal(((await refused.json()) as { error: string }).error, "last_way_in");
      // An account without a password sets one through a reset.
      const asked = await request(server.url, "POST", "/reset_password", {
        form: { email: "new-1@example.com" },
      });
      assert.equal(asked.status, 200, asked.text);
      const resetToken = (asked.body as { reset_token: string }).reset_token;
      const reset = await request(server.url, "PUT", "/reset_password", {
        form: { email: "new-1@example.com", reset_token: resetToken, new_password: PASSWORD },
      });
      assert.equal(reset.status, 200, reset.text);
      const byPassword = await request(server.url, "POST", "/sessions", {
        form: { email: "new-1@example.com", password: PASSWORD },
      });
      assert.equal(byPassword.status, 200, byPassword.text);
      // Sign-ins by provider and outcome.
      const metrics = await request(server.url, "GET", "/metrics");
      assert.match(
        metrics.text,
        /auth_social_logins_total\{provider="up",outcome="account_created"\} 1/,
      );
      assert.match(
        metrics.text,
        /auth_social_logins_total\{provider="up",outcome="signed_in"\} [1-9]/,
      );
      // The audit trail has the sign-ins by provider.
      await server.service.audit.flush();
      const events = await server.service.audit.list({ email: "new-1@example.com", limit: 50 });
      const names = events.map((entry) => `${entry.event}:${entry.outcome}`);
      assert.ok(names.includes("social_login:account_created:up"), names.join(" "));
      assert.ok(names.includes("social_login:signed_in:up"), names.join(" "));
      assert.ok(names.includes("identity_linked:up"), names.join(" "));
    });

    test("an email an account has is never linked silently: its password first, then the link", {
      timeout: 60_000,
    }, async () => {
      const email = "owner@example.com";
      assert.equal(
        (await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } }))
          .status,
        200,
      );
      upstream.signInAs({ sub: "same-email", email, email_verified: true });
      const jar = new CookieJar();
      const { answer } = await signInUpstream(jar, "?return_to=%2Faccount%3Flinked");
      assert.equal(answer.status, 200);
      const page = await answer.text();
      assert.match(page, /<label for="password">Password<\/label>/);
      assert.equal(jar.get(base, "session_id"), undefined, "no session before the password");
      assert.equal(await profileStatus(jar), 403);
      const token = /name="token" value="([^"]+)"/.exec(page)?.[1] ?? "";
      const wrong = await jar.post(`${base}/login/link`, { token, password: "not-the-password" });
      assert.equal(wrong.status, 401);
      assert.equal(jar.get(base, "session_id"), undefined);
      assert.equal(
        (
          await server.service.auth.socialLogin.identities(
            (await server.service.store.findUser({ email }))?.id ?? 0,
          )
        ).length,
        0,
      );
      const right = await jar.post(`${base}/login/link`, { token, password: PASSWORD });
      assert.equal(right.status, 303, await right.text());
      assert.equal(right.headers.get("location"), "/account?linked");
      assert.equal(await profileStatus(jar), 200);
      // Used once: the token links nothing more.
      const replay = await new CookieJar().post(`${base}/login/link`, {
        token,
        password: PASSWORD,
      });
      assert.equal(replay.status, 400);
      // From now on the identity signs in by itself.
      const later = new CookieJar();
      assert.equal((await signInUpstream(later)).answer.status, 303);
      assert.equal(await profileStatus(later), 200);
    });

    test("the account's second factor is asked after the upstream sign-in (linked, and when linking)", {
      timeout: 60_000,
    }, async () => {
      const email = "totp-owner@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } });
      const login = new CookieJar();
      await login.post(`${base}/account/login`, { email, password: PASSWORD });
      const cookie = `session_id=${login.get(base, "session_id")}`;
      const { secret } = await turnOnTotp(server.url, cookie, PASSWORD, clock.now());

      upstream.signInAs({ sub: "totp-sub", email, email_verified: true });
      const jar = new CookieJar();
      const linkPage = await (await signInUpstream(jar)).answer.text();
      const token = /name="token" value="([^"]+)"/.exec(linkPage)?.[1] ?? "";
      const step = await jar.post(`${base}/login/link`, { token, password: PASSWORD });
      const stepPage = await step.text();
      assert.equal(step.status, 401, stepPage);
      assert.equal(jar.get(base, "session_id"), undefined, "no session before the code");
      const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(stepPage)?.[1] ?? "";
      clock.advance(30_000);
      const done = await jar.post(`${base}/login/link/code`, {
        token,
        mfa_token: mfaToken,
        code: totpCode(secret, clock.now()),
      });
      assert.equal(done.status, 303, await done.text());
      assert.equal(await profileStatus(jar), 200);

      // Linked now: the upstream sign-in alone is one factor; the code is asked on the second step's page.
      const next = new CookieJar();
      const { answer } = await signInUpstream(next);
      const page = await answer.text();
      assert.equal(answer.status, 200, "the second step's page");
      assert.match(page, /action="\/account\/login\/mfa"/);
      assert.equal(next.get(base, "session_id"), undefined);
      const secondToken = /name="mfa_token" value="([^"]+)"/.exec(page)?.[1] ?? "";
      clock.advance(30_000);
      const finished = await next.post(`${base}/account/login/mfa`, {
        mfa_token: secondToken,
        code: totpCode(secret, clock.now()),
      });
      assert.equal(finished.status, 303, await finished.text());
      assert.equal(await profileStatus(next), 200);
    });

    test("a forged state, a replayed callback and an expired one: a 4xx page and no session", {
      timeout: 60_000,
    }, async () => {
      upstream.signInAs({ sub: "attacked", email: "attacked@example.com", email_verified: true });
      // Forged: the callback's state is not the one this browser started.
      const jar = new CookieJar();
      const started = await jar.follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const forged = new URL(started.stoppedAt ?? "");
      forged.searchParams.set("state", "A".repeat(43));
      const forgedAnswer = await jar.fetch(forged.href);
      assert.equal(forgedAnswer.status, 400);
      assert.equal(jar.get(base, "session_id"), undefined);
      // Another browser's callback, without its state cookie (login CSRF).
      const victim = new CookieJar();
      const other = await new CookieJar().follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      assert.equal((await victim.fetch(other.stoppedAt ?? "")).status, 400);
      assert.equal(victim.get(base, "session_id"), undefined);

      // Another issuer's answer (RFC 9207 mix-up): refused, and the flow is spent.
      const mixed = new CookieJar();
      const mixedFlow = await mixed.follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const wrongIssuer = new URL(mixedFlow.stoppedAt ?? "");
      wrongIssuer.searchParams.set("iss", "https://evil.example");
      assert.equal((await mixed.fetch(wrongIssuer.href)).status, 400);
      assert.equal(mixed.get(base, "session_id"), undefined);

      // Replayed: the same callback, state cookie and all, a second time.
      const first = new CookieJar();
      const flow = await first.follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const state = first.get(base, "social_state") ?? "";
      assert.equal((await first.fetch(flow.stoppedAt ?? "")).status, 303);
      const replayer = new CookieJar();
      replayer.set(base, "social_state", state);
      assert.equal((await replayer.fetch(flow.stoppedAt ?? "")).status, 400);
      assert.equal(replayer.get(base, "session_id"), undefined);

      // Expired: more than ten minutes at the provider.
      const slow = new CookieJar();
      const late = await slow.follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      clock.advance(11 * 60_000);
      assert.equal((await slow.fetch(late.stoppedAt ?? "")).status, 400);
      assert.equal(slow.get(base, "session_id"), undefined);

      // An error answer from the provider (the user said no): no session either.
      const denied = new CookieJar();
      const begun = await denied.follow(`${base}/login/up`, (url) =>
        url.pathname.includes("/auth"),
      );
      const deniedState = denied.get(base, "social_state") ?? "";
      const errorAnswer = await denied.fetch(
        `${base}/login/up/callback?error=access_denied&state=${deniedState}&iss=${encodeURIComponent(upstream.issuer)}`,
      );
      assert.ok(begun);
      assert.equal(errorAnswer.status, 400);
      assert.equal(denied.get(base, "session_id"), undefined);
    });

    test("unlink with the password; Link another from /account; webhooks identity.linked and identity.unlinked", {
      timeout: 60_000,
    }, async (t) => {
      const receiver = await startWebhookReceiver();
      t.after(() => receiver.close());
      await server.service.webhooks.add(receiver.url, ["identity.linked", "identity.unlinked"]);
      const email = "linker@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } });
      const jar = new CookieJar();
      await jar.post(`${base}/account/login`, { email, password: PASSWORD });
      // Started from another site: refused (a page elsewhere must not choose what is linked).
      const crossSite = await jar.fetch(`${base}/login/up?link=1`, {
        headers: { "sec-fetch-site": "cross-site" },
      });
      assert.equal(crossSite.status, 403);
      // Link another: an upstream account with another address joins this one.
      upstream.signInAs({
        sub: "linker-upstream",
        email: "elsewhere@example.com",
        email_verified: true,
      });
      const linked = await jar.follow(`${base}/login/up?link=1`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const back = await jar.fetch(linked.stoppedAt ?? "");
      assert.equal(back.status, 303);
      assert.equal(back.headers.get("location"), "/account#identities");
      const account = await (await jar.fetch(`${base}/account`)).text();
      assert.match(account, /Sign-ins at other providers/);
      assert.match(account, /elsewhere@example\.com/);
      const { identities } = (await (await jar.fetch(`${base}/identities`)).json()) as {
        identities: Array<{ id: string }>;
      };
      const id = identities[0]?.id ?? "";
      const json = (body: unknown) => ({
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(
        (await jar.fetch(`${base}/identities/${id}`, json({ password: "wrong-one" }))).status,
        403,
      );
      const done = await jar.fetch(`${base}/identities/${id}`, json({ password: PASSWORD }));
      assert.equal(done.status, 200, await done.text());
      assert.equal(
        (await jar.fetch(`${base}/identities/${id}`, json({ password: PASSWORD }))).status,
        404,
      );
      const until = Date.now() + 20_000;
      while (receiver.received.length < 2 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const sent = receiver.received.map(
        (hook) =>
          JSON.parse(hook.body) as {
            type: string;
            data: { provider?: string; user: { email: string } };
          },
      );
      assert.deepEqual(
        sent.map((hook) => [hook.type, hook.data.provider, hook.data.user.email]),
        [
          ["identity.linked", "up", email],
          ["identity.unlinked", "up", email],
        ],
      );
      assert.ok(!receiver.received.some((hook) => hook.body.includes(upstream.clientSecret)));
    });

    test("two callbacks at once for one new identity: one account, both signed in, no 500", {
      timeout: 60_000,
    }, async () => {
      upstream.signInAs({ sub: "racer", email: "racer@example.com", email_verified: true });
      const jars = [new CookieJar(), new CookieJar()];
      const stops = await Promise.all(
        jars.map((jar) =>
          jar.follow(`${base}/login/up`, (url) => url.pathname.endsWith("/callback")),
        ),
      );
      const answers = await Promise.all(jars.map((jar, i) => jar.fetch(stops[i]?.stoppedAt ?? "")));
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [303, 303],
      );
      const user = await server.service.store.findUser({ email: "racer@example.com" });
      assert.equal((await server.service.auth.socialLogin.identities(user?.id ?? 0)).length, 1);
    });

    test("taking the account back ends a link under way (an intruder's Link another)", {
      timeout: 60_000,
    }, async () => {
      const email = "taken-back@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } });
      const intruder = new CookieJar();
      await intruder.post(`${base}/account/login`, { email, password: PASSWORD });
      upstream.signInAs({ sub: "intruder", email: "intruder@example.com", email_verified: true });
      const started = await intruder.follow(`${base}/login/up?link=1`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      // The owner resets the password meanwhile.
      const asked = await request(server.url, "POST", "/reset_password", { form: { email } });
      const token = (asked.body as { reset_token: string }).reset_token;
      await request(server.url, "PUT", "/reset_password", {
        form: { email, reset_token: token, new_password: `${PASSWORD}-new` },
      });
      assert.equal((await intruder.fetch(started.stoppedAt ?? "")).status, 400);
      const user = await server.service.store.findUser({ email });
      assert.deepEqual(await server.service.auth.socialLogin.identities(user?.id ?? 0), []);
    });

    test("bad input on every new route: 4xx, never 500", { timeout: 60_000 }, async () => {
      const jar = new CookieJar();
      const statuses: Array<[string, number]> = [];
      const check = async (label: string, response: Promise<Response>) => {
        statuses.push([label, (await response).status]);
      };
      await check("unknown provider", jar.fetch(`${base}/login/nope`));
      await check("bad provider id", jar.fetch(`${base}/login/UP!`));
      await check("long provider id", jar.fetch(`${base}/login/${"a".repeat(100)}`));
      await check("bad link flag", jar.fetch(`${base}/login/up?link=yes`));
      await check("callback without anything", jar.fetch(`${base}/login/up/callback`));
      await check(
        "callback of an unknown provider",
        jar.fetch(`${base}/login/nope/callback?state=x&code=y`),
      );
      await check(
        "callback with a huge param",
        jar.fetch(`${base}/login/up/callback?code=${"x".repeat(5000)}`),
      );
      await check(
        "callback with a repeated param",
        jar.fetch(`${base}/login/up/callback?state=a&state=b`),
      );
      await check("link without a token", jar.post(`${base}/login/link`, {}));
      await check(
        "link with a junk token",
        jar.post(`${base}/login/link`, { token: "x".repeat(500), password: "p" }),
      );
      await check(
        "link code without tokens",
        jar.post(`${base}/login/link/code`, { code: "123456" }),
      );
      await check(
        "link as JSON array",
        jar.fetch(`${base}/login/link`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "[1]",
        }),
      );
      await check("identities signed out", jar.fetch(`${base}/identities`));
      await check("delete signed out", jar.fetch(`${base}/identities/abc`, { method: "DELETE" }));
      const signedOut = await jar.post(`${base}/account/identities/abc/unlink`, {});
      assert.equal(signedOut.status, 303);
      assert.equal(signedOut.headers.get("location"), "/account/login");
      const email = "bad-input@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } });
      await jar.post(`${base}/account/login`, { email, password: PASSWORD });
      const json = (body: string) => ({
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body,
      });
      await check(
        "delete bad id",
        jar.fetch(`${base}/identities/${encodeURIComponent("a/b!")}`, { method: "DELETE" }),
      );
      await check(
        "delete unknown id",
        jar.fetch(`${base}/identities/unknown`, json(`{"password":"${PASSWORD}"}`)),
      );
      await check(
        "delete number password",
        jar.fetch(`${base}/identities/abc`, json('{"password":5}')),
      );
      await check(
        "delete extra field",
        jar.fetch(`${base}/identities/abc`, json('{"password":"x","admin":true}')),
      );
      await check("delete broken JSON", jar.fetch(`${base}/identities/abc`, json("{")));
      await check(
        "unlink page unknown id",
        jar.post(`${base}/account/identities/unknown/unlink`, { password: PASSWORD }),
      );
      await check(
        "unlink page bad id",
        jar.post(`${base}/account/identities/${encodeURIComponent("a b")}/unlink`, {}),
      );
      await check("admin providers without key", jar.fetch(`${base}/admin/providers`));
      await check(
        "admin providers with junk key",
        jar.fetch(`${base}/admin/providers`, { headers: { authorization: "Bearer authsvc_junk" } }),
      );
      // A provider out of reach: 502, its page, and nothing kept.
      await server.service.auth.socialLogin.providers.add({
        id: "down",
        name: "Down",
        kind: "oidc",
        issuer: "http://127.0.0.1:9",
        clientId: "a",
        clientSecret: "b",
      });
      const down = await jar.fetch(`${base}/login/down`);
      assert.equal(down.status, 502);
      assert.match(await down.text(), /could not be reached/);
      await server.service.auth.socialLogin.providers.remove("down");
      const bad = statuses.filter(([, status]) => status < 400 || status >= 500);
      assert.deepEqual(bad, [], statuses.map((s) => s.join(" ")).join("\n"));
    });
  });
}
