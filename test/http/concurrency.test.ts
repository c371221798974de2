import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

test("16 concurrent registrations of one email: exactly one 200, fifteen 400", async () => {
  const email = "race@example.com";
  // Spellings differ in case, so the unique index has to treat them as one.
  const responses = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      request(server.url, "POST", "/users", {
        form: { email: i % 2 ? email.toUpperCase() : email, password: `password-${i}` },
      }),
    ),
  );
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, ...Array(15).fill(400)]);
  for (const r of responses.filter((r) => r.status === 400)) {
    assert.deepEqual(r.body, { message: "email already registered" });
  }
  // Exactly the winner's password works.
  const winner = responses.findIndex((r) => r.status === 200);
  const logins = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      request(server.url, "POST", "/sessions", { form: { email, password: `password-${i}` } }),
    ),
  );
  assert.deepEqual(
    logins.map((r, i) => (r.status === 200 ? i : -1)).filter((i) => i >= 0),
    [winner],
  );
});

test("two concurrent uses of one reset token: exactly one succeeds", async () => {
  const email = "twice@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "first-pass" } });
  const { reset_token } = (
    await request(server.url, "POST", "/reset_password", { form: { email } })
  ).body as {
    reset_token: string;
  };
  const results = await Promise.all(
    ["second-pass-a", "second-pass-b", "second-pass-c", "second-pass-d"].map((new_password) =>
      request(server.url, "PUT", "/reset_password", { form: { email, reset_token, new_password } }),
    ),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 403, 403, 403]);
});

test("many concurrent logins and profile reads of one user all succeed", async () => {
  const email = "busy@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "busy-pass" } });
  const logins = await Promise.all(
    Array.from({ length: 20 }, () =>
      request(server.url, "POST", "/sessions", { form: { email, password: "busy-pass" } }),
    ),
  );
  const cookies = logins.map((r) => `session_id=${sessionCookieOf(r)}`);
  assert.equal(new Set(cookies).size, 20);
  const profiles = await Promise.all(
    cookies.map((cookie) => request(server.url, "GET", "/profile", { cookie })),
  );
  assert.ok(profiles.every((r) => r.status === 200));
});
