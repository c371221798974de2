import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

const basic = (text: string | Uint8Array) =>
  `Basic ${Buffer.from(text as string).toString("base64")}`;
const BASIC_CHALLENGE = 'Basic realm="auth-service", charset="UTF-8"';

for (const factory of await testDatabases()) {
  describe(`the Authorization header on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    const email = "bearer@example.com";
    const password = "b4l0u";

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestApp({
        DATABASE_URL: database.url,
        LOGIN_MAX_FAILURES: "3",
        LOGIN_LOCKOUT_BASE: "10m",
      });
      const form = { email, password };
      assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
      const unicode = { email: "jérôme@exämple.com", password: "pässwörd:with:colons" };
      assert.equal((await request(server.url, "POST", "/users", { form: unicode })).status, 200);
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    /** A session token from a Basic login (the body carries it). */
    async function basicLogin(): Promise<string> {
      const login = await request(server.url, "POST", "/sessions", {
        headers: { authorization: basic(`${email}:${password}`) },
      });
      assert.equal(login.status, 200, login.text);
      const body = login.body as { email: string; message: string; session_token: string };
      assert.equal(body.email, email);
      assert.equal(body.message, "logged in");
      assert.match(body.session_token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(sessionCookieOf(login), body.session_token, "the cookie too");
      return body.session_token;
    }

    test("Basic login answers the session token; bearer works on every session route", async () => {
      const token = await basicLogin();
      const headers = { authorization: `Bearer ${token}` };
      const profile = await request(server.url, "GET", "/profile", { headers });
      assert.equal(profile.status, 200);
      assert.deepEqual(profile.body, { email });
      const list = await request(server.url, "GET", "/sessions", { headers });
      assert.equal(list.status, 200);
      const sessions = (list.body as { sessions: Array<{ id: string; current: boolean }> })
        .sessions;
      const other = await basicLogin();
      const otherId = (
        (await request(server.url, "GET", "/sessions", { headers })).body as {
          sessions: Array<{ id: string; current: boolean }>;
        }
      ).sessions.find((session) => !session.current)?.id;
      assert.ok(sessions.some((session) => session.current) && otherId);
      const ended = await request(server.url, "DELETE", `/sessions/${otherId}`, { headers });
      assert.equal(ended.status, 200);
      const otherHeaders = { authorization: `Bearer ${other}` };
      assert.equal(
        (await request(server.url, "GET", "/profile", { headers: otherHeaders })).status,
        401,
      );
      const change = await request(server.url, "PUT", "/profile/password", {
        form: { current_password: password, new_password: password },
        headers,
      });
      assert.equal(change.status, 200);
      const logout = await request(server.url, "DELETE", "/sessions", { headers });
      assert.equal(logout.status, 204, "bearer logout: 204, no redirect");
      assert.equal(logout.text, "");
      assert.equal(logout.headers.get("location"), null);
      const after = await request(server.url, "GET", "/profile", { headers });
      assert.equal(after.status, 401);
    });

    test("a bad bearer token: 401 with the RFC 6750 challenge; no credentials: 403 as before", async () => {
      for (const token of ["not-a-live-token", "x".repeat(43)]) {
        const r = await request(server.url, "GET", "/profile", {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(r.status, 401);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer .*error="invalid_token"/);
        assert.equal((r.body as { error: string }).error, "invalid_token");
      }
      const none = await request(server.url, "GET", "/profile");
      assert.equal(none.status, 403);
      assert.equal(none.headers.get("www-authenticate"), null);
      const malformed = await request(server.url, "GET", "/profile", {
        headers: { authorization: "Bearer" },
      });
      assert.equal(malformed.status, 400);
      assert.equal(
        (
          await request(server.url, "DELETE", "/sessions", {
            headers: { authorization: "Bearer revoked-or-unknown" },
          })
        ).status,
        401,
      );
    });

    test("the header wins over the cookie", async () => {
      const fromCookie = await basicLogin();
      const cookie = `session_id=${fromCookie}`;
      const bad = await request(server.url, "GET", "/profile", {
        cookie,
        headers: { authorization: "Bearer not-a-live-token" },
      });
      assert.equal(bad.status, 401, "a live cookie does not rescue a bad bearer token");
      const good = await request(server.url, "GET", "/profile", {
        cookie: "session_id=not-a-live-token",
        headers: { authorization: `Bearer ${fromCookie}` },
      });
      assert.equal(good.status, 200);
    });

    test("Basic: wrong credentials 401 with the Basic challenge; malformed 400; header and body 400", async () => {
      const wrong = await request(server.url, "POST", "/sessions", {
        headers: { authorization: basic(`${email}:wrong-password`) },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("www-authenticate"), BASIC_CHALLENGE);
      assert.equal(sessionCookieOf(wrong), undefined);
      const malformed: Array<[string, string]> = [
        ["not base64", "Basic %%%not-base64%%%"],
        ["no colon", basic("no-colon-here")],
        ["empty password", basic(`${email}:`)],
        ["not UTF-8", `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString("base64")}`],
        ["NUL", basic(`${email}:pass\u0000word`)],
      ];
      for (const [what, authorization] of malformed) {
        const r = await request(server.url, "POST", "/sessions", { headers: { authorization } });
        assert.equal(r.status, 400, what);
        assert.equal(typeof (r.body as { message: string }).message, "string", what);
      }
      const both = await request(server.url, "POST", "/sessions", {
        form: { email, password },
        headers: { authorization: basic(`${email}:${password}`) },
      });
      assert.equal(both.status, 400);
    });

    test("Basic: Unicode email and a password with colons (the email ends at the first one)", async () => {
      const r = await request(server.url, "POST", "/sessions", {
        headers: { authorization: basic("jérôme@exämple.com:pässwörd:with:colons") },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal((r.body as { email: string }).email, "jérôme@exämple.com");
    });

    test("Basic logins are throttled like form logins", async () => {
      const target = "throttled-basic@example.com";
      const form = { email: target, password };
      assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
      for (let i = 0; i < 3; i++) {
        const r = await request(server.url, "POST", "/sessions", {
          headers: { authorization: basic(`${target}:wrong-${i}`) },
        });
        assert.equal(r.status, 401);
      }
      const locked = await request(server.url, "POST", "/sessions", {
        headers: { authorization: basic(`${target}:${password}`) },
      });
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
      await server.service.audit.flush();
      const outcomes = (await server.service.audit.list({ email: target }))
        .filter((entry) => entry.event === "login")
        .map((entry) => entry.outcome);
      assert.deepEqual(outcomes, ["failure", "failure", "failure", "throttled"]);
    });

    test("header-authenticated requests without a cookie skip the cross-site check", async () => {
      const token = await basicLogin();
      const foreign = { origin: "https://elsewhere.example" };
      const withBearer = await request(server.url, "DELETE", "/sessions", {
        headers: { ...foreign, authorization: `Bearer ${token}` },
      });
      assert.equal(withBearer.status, 204);
      const withCookie = await request(server.url, "DELETE", "/sessions", {
        cookie: `session_id=${await basicLogin()}`,
        headers: { ...foreign, authorization: "Bearer anything" },
      });
      assert.equal(withCookie.status, 403, "a cookie keeps the check");
      // Schemes a browser attaches by itself never lift the check.
      for (const authorization of ["Negotiate YII=", basic(`${email}:${password}`), "x"]) {
        const login = await request(server.url, "POST", "/sessions", {
          form: { email, password },
          headers: { ...foreign, "sec-fetch-site": "cross-site", authorization },
        });
        assert.equal(login.status, 403, authorization);
      }
      const page = await request(server.url, "POST", "/account/login", {
        form: { email, password },
        headers: { ...foreign, authorization: `Bearer ${await basicLogin()}` },
      });
      assert.equal(page.status, 403, "never on the hosted pages");
    });
  });
}
