import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  followWithConsent,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 120_000 };

describe("the provider's session counts only with the same person's live service session", () => {
  let server: TestServer;
  let base = "";
  before(async () => {
    server = await startTestServer();
    base = `http://localhost:${server.port}`;
  });
  after(async () => {
    await server?.close();
  });

  const firstParty = async () => {
    const made = await server.service.oidc.clients.create({
      name: "First",
      redirectUris: [REDIRECT],
      firstParty: true,
    });
    return discover(server, made.clientId, made.clientSecret);
  };
  /** A code flow in the jar's browser, to the tokens' `sub` and email. */
  const signInThrough = async (config: client.Configuration, jar: CookieJar) => {
    const flow = await codeFlowStart(config, { prompt: "" });
    const landed = await followWithConsent(flow.url, jar);
    assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
    const tokens = await client.authorizationCodeGrant(config, landed, flow.checks);
    const sub = tokens.claims()?.sub ?? "";
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    return { sub, email: info.email };
  };

  test(
    "another person signed in on the service in the same browser gets their own code",
    T,
    async () => {
      const a = await signedInUser(server.url);
      const b = await signedInUser(server.url);
      const config = await firstParty();
      const jar: CookieJar = new Map();
      await serviceLogin(base, jar, a.email, a.password);
      const first = await signInThrough(config, jar);
      assert.equal(first.email, a.email);
      // B signs in on the service in the same browser: the provider's cookie is still A's.
      await serviceLogin(base, jar, b.email, b.password);
      const second = await signInThrough(config, jar);
      assert.equal(second.email, b.email, "the app is told B, as the service's session says");
      assert.notEqual(second.sub, first.sub);
      // B is still signed in to the service: switching the provider's account ended only its session.
      const cookie = `session_id=${jar.get("session_id")}`;
      const profile = await fetch(`${base}/profile`, { headers: { cookie } });
      assert.equal(profile.status, 200);
      assert.equal(((await profile.json()) as { email: string }).email, b.email);
    },
  );

  test("a consent page left open grants nothing once another person has signed in", T, async () => {
    const a = await signedInUser(server.url);
    const b = await signedInUser(server.url);
    const made = await server.service.oidc.clients.create({
      name: "Third",
      redirectUris: [REDIRECT],
    });
    const config = await discover(server, made.clientId, made.clientSecret);
    const jar: CookieJar = new Map();
    await serviceLogin(base, jar, a.email, a.password);
    const flow = await codeFlowStart(config, { prompt: "" });
    // Up to A's consent page, then B signs in on the service in the same browser.
    let url = flow.url;
    for (let step = 0; step < 12 && !url.pathname.startsWith("/oidc/interaction/"); step++) {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const answer = await fetch(url, { redirect: "manual", headers: { cookie } });
      for (const line of answer.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
      }
      await answer.body?.cancel();
      url = new URL(answer.headers.get("location") ?? "", url);
    }
    assert.match(url.pathname, /^\/oidc\/interaction\//, "at the consent page");
    await serviceLogin(base, jar, b.email, b.password);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const allowed = await fetch(new URL(`${url.pathname}/confirm`, url), {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    const text = await allowed.text();
    assert.equal(allowed.status, 400, text.slice(0, 300));
    assert.doesNotMatch(text, /rp\.test/, "no way on to the application");
  });

  test("without a live service session, the provider asks for the login step", T, async () => {
    const a = await signedInUser(server.url);
    const config = await firstParty();
    const jar: CookieJar = new Map();
    await serviceLogin(base, jar, a.email, a.password);
    await signInThrough(config, jar);
    // The service's session is over (its cookie expired in the browser); the provider's is not.
    jar.delete("session_id");
    const flow = await codeFlowStart(config, { prompt: "" });
    const stopped = await followAuthorization(flow.url, jar);
    assert.equal(stopped.pathname, "/account/login", `at ${stopped}`);
    // prompt=none cannot show the login page: login_required, no code.
    const silent = await codeFlowStart(config, { prompt: "none" });
    const refused = await followAuthorization(silent.url, jar);
    assert.equal(refused.origin, "http://rp.test");
    assert.equal(refused.searchParams.get("error"), "login_required");
    assert.equal(refused.searchParams.get("code"), null);
    // Signed in again on the service: the same request goes on without another question.
    await serviceLogin(base, jar, a.email, a.password);
    const again = await signInThrough(config, jar);
    assert.equal(again.email, a.email);
  });

  test("an expired service session, its cookie still sent, is not enough either", T, async () => {
    // A server whose clock the test moves: the service's session idles out (7 days by default).
    let shift = 0;
    const clocked = await startTestServer({}, { now: () => new Date(Date.now() + shift) });
    try {
      const at = `http://localhost:${clocked.port}`;
      const a = await signedInUser(clocked.url);
      const made = await clocked.service.oidc.clients.create({
        name: "First",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      const config = await discover(clocked, made.clientId, made.clientSecret);
      const jar: CookieJar = new Map();
      await serviceLogin(at, jar, a.email, a.password);
      await signInThrough(config, jar);
      shift = 8 * 24 * 3600 * 1000;
      const flow = await codeFlowStart(config, { prompt: "" });
      const stopped = await followAuthorization(flow.url, jar);
      assert.equal(stopped.pathname, "/account/login", `at ${stopped}`);
    } finally {
      await clocked.close();
    }
  });

  test(
    "the provider's own pages and answers carry the frame and script protections",
    T,
    async () => {
      const answers = [
        await fetch(`${base}/oidc/session/end`),
        await fetch(`${base}/.well-known/openid-configuration`),
        await fetch(`${base}/oidc/auth?client_id=nobody&response_type=code&scope=openid`),
        await fetch(`${base}/oidc/device`),
      ];
      for (const answer of answers) {
        await answer.body?.cancel();
        const where = `${answer.url} (${answer.status})`;
        assert.equal(answer.headers.get("x-frame-options"), "DENY", where);
        assert.match(
          answer.headers.get("content-security-policy") ?? "",
          /frame-ancestors 'none'/,
          where,
        );
        assert.equal(answer.headers.get("x-content-type-options"), "nosniff", where);
        assert.equal(answer.headers.get("referrer-policy"), "no-referrer", where);
      }
    },
  );
});
