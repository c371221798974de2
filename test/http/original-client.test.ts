import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// The original Python client's ten steps, with its exact credentials and
// assertions (it compares whole bodies, so no extra field may appear).
const EMAIL = "guillaume@holberton.io";
const PASSWD = "b4l0u";
const NEW_PASSWD = "t4rt1fl3tt3";

for (const factory of await testDatabases()) {
  describe(`on ${factory.name}`, { skip: "skip" in factory ? factory.skip : false }, () => {
    let database: TestDatabase;
    let server: TestServer;
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    test("the original client's flow passes unchanged", () => originalClientFlow(server.url));
  });
}

async function originalClientFlow(url: string): Promise<void> {
  // 1. register
  let r = await request(url, "POST", "/users", { form: { email: EMAIL, password: PASSWD } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: EMAIL, message: "user created" });

  // 2. register again
  r = await request(url, "POST", "/users", { form: { email: EMAIL, password: PASSWD } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { message: "email already registered" });

  // 3. log in with a wrong password
  r = await request(url, "POST", "/sessions", { form: { email: EMAIL, password: NEW_PASSWD } });
  assert.equal(r.status, 401);

  // 4. profile without a cookie
  r = await request(url, "GET", "/profile");
  assert.equal(r.status, 403);

  // 5. log in
  r = await request(url, "POST", "/sessions", { form: { email: EMAIL, password: PASSWD } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: EMAIL, message: "logged in" });
  const sessionId = sessionCookieOf(r);
  assert.ok(sessionId, "login sets the session_id cookie");

  // 6. profile with the cookie
  r = await request(url, "GET", "/profile", { cookie: `session_id=${sessionId}` });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: EMAIL });

  // 7. log out, following the redirect as requests does
  r = await request(url, "DELETE", "/sessions", {
    cookie: `session_id=${sessionId}`,
    follow: true,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { message: "Bienvenue" });

  // 8. ask for a reset token
  r = await request(url, "POST", "/reset_password", { form: { email: EMAIL } });
  assert.equal(r.status, 200);
  const body = r.body as { email: string; reset_token: string };
  assert.equal(body.email, EMAIL);
  assert.equal(typeof body.reset_token, "string");
  assert.ok(body.reset_token.length >= 22, "reset token carries at least 128 bits");

  // 9. reset the password
  r = await request(url, "PUT", "/reset_password", {
    form: { email: EMAIL, reset_token: body.reset_token, new_password: NEW_PASSWD },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: EMAIL, message: "Password updated" });

  // 10. log in with the new password
  r = await request(url, "POST", "/sessions", { form: { email: EMAIL, password: NEW_PASSWD } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: EMAIL, message: "logged in" });

  // and the old session is gone for good
  r = await request(url, "GET", "/profile", { cookie: `session_id=${sessionId}` });
  assert.equal(r.status, 403);
}
