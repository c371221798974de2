import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

describe("security headers and CORS off by default", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp();
  });
  after(async () => server.close());

  test("JSON answers carry helmet's headers and a CSP that allows nothing; pages their own", async () => {
    const r = await request(server.url, "GET", "/profile", {
      headers: { origin: "https://elsewhere.example" },
    });
    assert.equal(r.status, 403);
    const csp = r.headers.get("content-security-policy") ?? "";
    assert.equal(csp, "default-src 'none'; frame-ancestors 'none'");
    const page = await request(server.url, "GET", "/account/login");
    const pageCsp = page.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      assert.ok(pageCsp.includes(directive), `${directive} in ${pageCsp}`);
    }
    assert.ok(!pageCsp.includes("unsafe-inline"));
    assert.equal(
      page.headers.get("content-security-policy")?.split(", ").length,
      1,
      "one policy on a page, not the API's and the page's",
    );
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.equal(r.headers.get("cross-origin-resource-policy"), "same-origin");
    // Document-only headers go on the hosted pages, not on JSON.
    assert.equal(r.headers.get("x-frame-options"), null);
    assert.equal(page.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(r.headers.get("referrer-policy"), "no-referrer");
    assert.equal(
      r.headers.get("strict-transport-security"),
      null,
      "no HSTS over plain HTTP in development",
    );
    assert.equal(r.headers.get("access-control-allow-origin"), null, "CORS is off");
    for (const [method, path] of [
      ["GET", "/no-such-page"],
      ["PATCH", "/profile"],
      ["POST", "/users"],
    ] as const) {
      const body = method === "GET" ? {} : { raw: "{", contentType: "application/json" };
      const other = await request(server.url, method, path, body);
      assert.ok(other.status >= 400, `${method} ${path}`);
      assert.equal(other.headers.get("content-security-policy"), csp, `${method} ${path} too`);
    }
  });

  test("Swagger UI keeps its own policy, on /docs only", async () => {
    const r = await request(server.url, "GET", "/docs");
    assert.equal(r.status, 200);
    const csp = r.headers.get("content-security-policy") ?? "";
    assert.match(csp, /img-src 'self' data: validator\.swagger\.io/, "Swagger UI's own");
    assert.match(csp, /script-src 'self' ?;/, "still no inline script");
  });
});

describe("CORS_ORIGINS and SESSION_COOKIE_NAME", () => {
  let server: TestServer;
  const app = "https://app.example.com";
  before(async () => {
    server = await startTestApp({
      CORS_ORIGINS: app,
      SESSION_COOKIE_NAME: "__Host-session_id",
    });
  });
  after(async () => server.close());

  test("a configured origin may call with credentials; others get no CORS headers", async () => {
    const preflight = await request(server.url, "OPTIONS", "/sessions", {
      headers: { origin: app, "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), app);
    assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);

    const other = await request(server.url, "GET", "/", {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const email = "cors@example.com";
    const registered = await request(server.url, "POST", "/users", {
      form: { email, password: "b4l0u" },
      headers: { origin: app, "sec-fetch-site": "cross-site" },
    });
    assert.equal(registered.status, 200, "a CORS origin may also post");
    assert.equal(registered.headers.get("access-control-allow-origin"), app);
    const refused = await request(server.url, "POST", "/users", {
      form: { email: "x@example.com", password: "b4l0u" },
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    assert.equal(refused.status, 403);
  });

  test("__Host-session_id: Secure, Path=/, no Domain, and the only cookie read", async () => {
    const email = "host-cookie@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const login = await request(server.url, "POST", "/sessions", {
      form: { email, password: "b4l0u" },
    });
    const line = login.headers.getSetCookie().find((l) => l.startsWith("__Host-session_id="));
    assert.ok(line, login.headers.getSetCookie().join(" | "));
    assert.match(line, /; Path=\//);
    assert.match(line, /; Secure/);
    assert.doesNotMatch(line, /Domain=/i);
    const token = sessionCookieOf(login, "__Host-session_id");
    const profile = await request(server.url, "GET", "/profile", {
      cookie: `__Host-session_id=${token}`,
    });
    assert.equal(profile.status, 200);
    const wrongName = await request(server.url, "GET", "/profile", {
      cookie: `session_id=${token}`,
    });
    assert.equal(wrongName.status, 403);
    const logout = await request(server.url, "DELETE", "/sessions", {
      cookie: `__Host-session_id=${token}`,
    });
    assert.equal(logout.status, 303);
    assert.ok(logout.headers.getSetCookie().some((l) => /^__Host-session_id=;.*Max-Age=0/.test(l)));
  });
});
