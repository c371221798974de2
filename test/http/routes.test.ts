import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, sessionCookieOf, signedInUser } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ TRUSTED_ORIGINS: "https://app.example.com" });
});
after(async () => {
  await server.close();
});

let counter = 0;
const registeredUser = () =>
  signedInUser(server.url, `user${++counter}@example.com`, "s3cret-pass");

async function resetTokenFor(email: string): Promise<string> {
  const r = await request(server.url, "POST", "/reset_password", { form: { email } });
  assert.equal(r.status, 200);
  return (r.body as { reset_token: string }).reset_token;
}

describe("routes", () => {
  test("GET / answers Bienvenue as JSON with a charset", async () => {
    const r = await request(server.url, "GET", "/");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(r.body, { message: "Bienvenue" });
  });

  test("JSON bodies work like forms", async () => {
    const email = "json@example.com";
    let r = await request(server.url, "POST", "/users", { json: { email, password: "b4l0u" } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { email, message: "user created" });
    r = await request(server.url, "POST", "/sessions", { json: { email, password: "b4l0u" } });
    assert.equal(r.status, 200);
  });

  test("the session cookie has the contract's attributes and 256 bits", async () => {
    await request(server.url, "POST", "/users", {
      form: { email: "cookie@example.com", password: "b4l0u" },
    });
    const r = await request(server.url, "POST", "/sessions", {
      form: { email: "cookie@example.com", password: "b4l0u" },
    });
    assert.equal(r.headers.get("cache-control"), "no-store");
    const [line] = r.headers.getSetCookie();
    assert.match(line ?? "", /^session_id=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  test("every login makes a new token, and earlier sessions stay valid", async () => {
    const user = await registeredUser();
    const second = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: user.password },
    });
    const secondCookie = `session_id=${sessionCookieOf(second)}`;
    assert.notEqual(secondCookie, user.cookie);
    for (const cookie of [user.cookie, secondCookie]) {
      assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 200);
    }
  });

  test("emails are one account case-insensitively", async () => {
    const user = await registeredUser();
    const upper = user.email.toUpperCase();
    let r = await request(server.url, "POST", "/users", {
      form: { email: upper, password: "other-pass" },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { message: "email already registered" });
    r = await request(server.url, "POST", "/sessions", {
      form: { email: upper, password: user.password },
    });
    assert.equal(r.status, 200);
  });

  test("unknown email and wrong password get the same answer", async () => {
    const user = await registeredUser();
    const wrong = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: "not-the-password" },
    });
    const unknown = await request(server.url, "POST", "/sessions", {
      form: { email: "nobody@example.com", password: "not-the-password" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.text, unknown.text);
    assert.equal(wrong.headers.getSetCookie().length, 0);
  });

  test("logout: 303 to /, cookie cleared, session dead on the server", async () => {
    const user = await registeredUser();
    const r = await request(server.url, "DELETE", "/sessions", { cookie: user.cookie });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get("location"), "/");
    assert.match(r.headers.getSetCookie()[0] ?? "", /^session_id=; Max-Age=0; Path=\/;/);
    assert.equal(
      (await request(server.url, "GET", "/profile", { cookie: user.cookie })).status,
      403,
    );
    // The same token again: nothing to log out.
    assert.equal(
      (await request(server.url, "DELETE", "/sessions", { cookie: user.cookie })).status,
      403,
    );
  });

  test("logout ends only the current session", async () => {
    const user = await registeredUser();
    const other = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: user.password },
    });
    const otherCookie = `session_id=${sessionCookieOf(other)}`;
    await request(server.url, "DELETE", "/sessions", { cookie: user.cookie });
    assert.equal(
      (await request(server.url, "GET", "/profile", { cookie: otherCookie })).status,
      200,
    );
  });

  test("logout and profile without or with an unknown cookie: 403 JSON", async () => {
    for (const cookie of [
      undefined,
      "session_id=unknown-token",
      `session_id=${"x".repeat(5000)}`,
    ]) {
      for (const [method, path] of [
        ["DELETE", "/sessions"],
        ["GET", "/profile"],
      ] as const) {
        const r = await request(server.url, method, path, cookie ? { cookie } : {});
        assert.equal(r.status, 403, `${method} ${path} with ${cookie?.slice(0, 30)}`);
        assert.equal(typeof (r.body as { message: unknown }).message, "string");
      }
    }
  });

  test("trailing slashes are tolerated", async () => {
    const user = await registeredUser();
    assert.equal(
      (await request(server.url, "GET", "/profile/", { cookie: user.cookie })).status,
      200,
    );
    const r = await request(server.url, "POST", "/users/", {
      form: { email: "slash@example.com", password: "b4l0u" },
    });
    assert.equal(r.status, 200);
  });

  test("unknown path: 404 JSON; known path, wrong method: 405 with Allow", async () => {
    let r = await request(server.url, "GET", "/nope");
    assert.equal(r.status, 404);
    assert.equal(typeof (r.body as { message: unknown }).message, "string");
    r = await request(server.url, "GET", "/reset_password/");
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "POST, PUT");
    r = await request(server.url, "PUT", "/profile");
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "DELETE, GET, HEAD");
    r = await request(server.url, "GET", "/users");
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "POST");
    r = await request(server.url, "PATCH", "/sessions");
    assert.equal(r.headers.get("allow"), "DELETE, GET, HEAD, POST");
  });

  test("every response carries an x-request-id; a plain incoming one is kept", async () => {
    const responses = [
      await request(server.url, "GET", "/"),
      await request(server.url, "GET", "/nope"),
      await request(server.url, "PUT", "/profile"),
      await request(server.url, "POST", "/users", { form: { email: "x" } }),
      await request(server.url, "POST", "/users", { raw: "x", contentType: "text/plain" }),
      await request(server.url, "POST", "/users", {
        form: { email: "a@b.c", password: "b4l0u" },
        headers: { origin: "https://evil.example" },
      }),
    ];
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    for (const id of ids) assert.match(id ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(new Set(ids).size, ids.length, "each request its own id");
    const kept = await request(server.url, "GET", "/", {
      headers: { "x-request-id": "lb-7f3a.42" },
    });
    assert.equal(kept.headers.get("x-request-id"), "lb-7f3a.42");
    const replaced = await request(server.url, "GET", "/", {
      headers: { "x-request-id": 'has spaces"quote' },
    });
    assert.match(replaced.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("reset_password for an unregistered email: 403", async () => {
    const r = await request(server.url, "POST", "/reset_password", {
      form: { email: "ghost@example.com" },
    });
    assert.equal(r.status, 403);
  });

  test("a reset ends every session of the user and the token works once", async () => {
    const user = await registeredUser();
    const second = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: user.password },
    });
    const cookies = [user.cookie, `session_id=${sessionCookieOf(second)}`];
    const token = await resetTokenFor(user.email);
    const form = { email: user.email, reset_token: token, new_password: "brand-new-pass" };
    assert.equal((await request(server.url, "PUT", "/reset_password", { form })).status, 200);
    for (const cookie of cookies) {
      assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 403);
    }
    const again = await request(server.url, "PUT", "/reset_password", {
      form: { ...form, new_password: "x-other-pass" },
    });
    assert.equal(again.status, 403);
    const oldLogin = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: user.password },
    });
    assert.equal(oldLogin.status, 401);
    const newLogin = await request(server.url, "POST", "/sessions", {
      form: { email: user.email, password: "brand-new-pass" },
    });
    assert.equal(newLogin.status, 200);
  });

  test("a reset token used with another email: 403, and it still works for its own", async () => {
    const owner = await registeredUser();
    const other = await registeredUser();
    const token = await resetTokenFor(owner.email);
    let r = await request(server.url, "PUT", "/reset_password", {
      form: { email: other.email, reset_token: token, new_password: "hijacked-pass" },
    });
    assert.equal(r.status, 403);
    assert.equal(
      (
        await request(server.url, "POST", "/sessions", {
          form: { email: other.email, password: other.password },
        })
      ).status,
      200,
    );
    r = await request(server.url, "PUT", "/reset_password", {
      form: { email: owner.email, reset_token: token, new_password: "owner-new-pass" },
    });
    assert.equal(r.status, 200);
  });

  test("an unacceptable new password: 400, and the token is not spent", async () => {
    const user = await registeredUser();
    const token = await resetTokenFor(user.email);
    let r = await request(server.url, "PUT", "/reset_password", {
      form: { email: user.email, reset_token: token, new_password: "abc" },
    });
    assert.equal(r.status, 400);
    assert.match((r.body as { message: string }).message, /at least 5 characters/);
    assert.equal(
      (await request(server.url, "GET", "/profile", { cookie: user.cookie })).status,
      200,
    );
    r = await request(server.url, "PUT", "/reset_password", {
      form: { email: user.email, reset_token: token, new_password: "good-pass" },
    });
    assert.equal(r.status, 200);
  });

  describe("cross-site requests", () => {
    const form = { email: "csrf@example.com", password: "b4l0u" };

    test("refused when Origin is foreign", async () => {
      const r = await request(server.url, "POST", "/users", {
        form,
        headers: { origin: "https://evil.example" },
      });
      assert.equal(r.status, 403);
      assert.equal((r.body as { error: string }).error, "cross_site_request");
      // and nothing was written
      const login = await request(server.url, "POST", "/sessions", { form });
      assert.equal(login.status, 401);
    });

    test("refused when Sec-Fetch-Site says cross-site or same-site", async () => {
      for (const site of ["cross-site", "same-site"]) {
        const r = await request(server.url, "POST", "/sessions", {
          form,
          headers: { "sec-fetch-site": site },
        });
        assert.equal(r.status, 403, site);
      }
    });

    test("refused when a foreign Origin comes with Sec-Fetch-Site: same-origin", async () => {
      const r = await request(server.url, "POST", "/users", {
        form: { email: "spoofed-site@example.com", password: "b4l0u" },
        headers: { origin: "https://evil.example", "sec-fetch-site": "same-origin" },
      });
      assert.equal(r.status, 403);
    });

    test("refused from our host under another scheme or port", async () => {
      const own = new URL(server.url);
      for (const origin of [`https://${own.host}`, `http://${own.hostname}:1`]) {
        const r = await request(server.url, "POST", "/users", {
          form: { email: "other-origin@example.com", password: "b4l0u" },
          headers: { origin },
        });
        assert.equal(r.status, 403, origin);
      }
    });

    test("refused for a null Origin and for DELETE and PUT too", async () => {
      const user = await registeredUser();
      const headers = { origin: "null" };
      assert.equal(
        (await request(server.url, "DELETE", "/sessions", { cookie: user.cookie, headers })).status,
        403,
      );
      assert.equal(
        (await request(server.url, "GET", "/profile", { cookie: user.cookie })).status,
        200,
      );
      const put = await request(server.url, "PUT", "/reset_password", {
        form: { email: user.email, reset_token: "t", new_password: "whatever" },
        headers: { origin: "https://evil.example" },
      });
      assert.equal(put.status, 403);
      assert.equal((put.body as { error: string }).error, "cross_site_request");
    });

    test("allowed from our own origin, a trusted origin, or with neither header", async () => {
      const own = new URL(server.url).origin;
      let r = await request(server.url, "POST", "/users", {
        form: { email: "own@example.com", password: "b4l0u" },
        headers: { origin: own, "sec-fetch-site": "same-origin" },
      });
      assert.equal(r.status, 200);
      r = await request(server.url, "POST", "/users", {
        form: { email: "own2@example.com", password: "b4l0u" },
        headers: { origin: own },
      });
      assert.equal(r.status, 200);
      r = await request(server.url, "POST", "/users", {
        form: { email: "trusted@example.com", password: "b4l0u" },
        headers: { origin: "https://app.example.com", "sec-fetch-site": "cross-site" },
      });
      assert.equal(r.status, 200);
      r = await request(server.url, "POST", "/users", {
        form: { email: "plain@example.com", password: "b4l0u" },
      });
      assert.equal(r.status, 200);
    });

    test("GET is never refused", async () => {
      const r = await request(server.url, "GET", "/", {
        headers: { origin: "https://evil.example" },
      });
      assert.equal(r.status, 200);
    });
  });
});
