import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

// Lifetimes of about a second, so expiry is observed through the real server.
let server: TestServer;
before(async () => {
  server = await startTestApp({
    RESET_TOKEN_LIFETIME: "1",
    SESSION_IDLE_TIMEOUT: "1",
    SESSION_RENEW_INTERVAL: "200ms",
    SESSION_LIFETIME: "3",
  });
});
after(async () => {
  await server.close();
});

async function register(email: string): Promise<void> {
  assert.equal(
    (await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } })).status,
    200,
  );
}

async function resetToken(email: string): Promise<string> {
  const r = await request(server.url, "POST", "/reset_password", { form: { email } });
  return (r.body as { reset_token: string }).reset_token;
}

test("an expired reset token gets 403 and changes nothing", async () => {
  await register("late@example.com");
  const token = await resetToken("late@example.com");
  await sleep(1100);
  const r = await request(server.url, "PUT", "/reset_password", {
    form: { email: "late@example.com", reset_token: token, new_password: "new-password" },
  });
  assert.equal(r.status, 403);
  const login = await request(server.url, "POST", "/sessions", {
    form: { email: "late@example.com", password: "b4l0u" },
  });
  assert.equal(login.status, 200);
});

test("asking again leaves the first reset token valid (nobody can void a mailed link); one use voids both", async () => {
  await register("twice@example.com");
  const older = await resetToken("twice@example.com");
  const newer = await resetToken("twice@example.com");
  assert.notEqual(older, newer);
  const form = { email: "twice@example.com", new_password: "new-password" };
  assert.equal(
    (await request(server.url, "PUT", "/reset_password", { form: { ...form, reset_token: older } }))
      .status,
    200,
  );
  assert.equal(
    (await request(server.url, "PUT", "/reset_password", { form: { ...form, reset_token: newer } }))
      .status,
    403,
  );
});

test("a session idle past its timeout gets 403; an active one lives on until its absolute end", async () => {
  await register("idle@example.com");
  const form = { email: "idle@example.com", password: "b4l0u" };
  const loggedInAt = Date.now();
  const idle = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
  const active = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
  // Read every 0.4 s (inside the 1 s idle timeout) until just before the 3 s absolute end.
  while (Date.now() - loggedInAt < 2600) {
    await sleep(400);
    assert.equal((await request(server.url, "GET", "/profile", { cookie: active })).status, 200);
  }
  assert.equal((await request(server.url, "GET", "/profile", { cookie: idle })).status, 403);
  await sleep(Math.max(0, 3100 - (Date.now() - loggedInAt)));
  // Used well under a second ago, yet past its absolute lifetime.
  assert.equal((await request(server.url, "GET", "/profile", { cookie: active })).status, 403);
});
