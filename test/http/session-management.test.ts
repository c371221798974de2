import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hashToken } from "../../src/core/token.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestApp();
});
after(async () => {
  await server.close();
});

interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

async function login(email: string, password: string, userAgent: string): Promise<string> {
  const r = await request(server.url, "POST", "/sessions", {
    form: { email, password },
    headers: { "user-agent": userAgent },
  });
  assert.equal(r.status, 200);
  return sessionCookieOf(r) ?? "";
}

test("a user lists their sessions, never seeing a token, and ends another one", async () => {
  const email = "many@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
  const laptop = await login(email, "b4l0u", "laptop-browser");
  const phone = await login(email, "b4l0u", "phone-browser");

  const r = await request(server.url, "GET", "/sessions", { cookie: `session_id=${laptop}` });
  assert.equal(r.status, 200);
  for (const secret of [laptop, phone, hashToken(laptop), hashToken(phone)]) {
    assert.ok(!r.text.includes(secret), "no token or token hash in the list");
  }
  const sessions = (r.body as { sessions: SessionView[] }).sessions;
  assert.equal(sessions.length, 2);
  const current = sessions.find((session) => session.current);
  const other = sessions.find((session) => !session.current);
  assert.equal(current?.userAgent, "laptop-browser");
  assert.equal(other?.userAgent, "phone-browser");
  assert.equal(current?.ip, "127.0.0.1");
  for (const session of sessions) {
    assert.ok(Date.parse(session.createdAt) <= Date.parse(session.expiresAt));
    assert.match(session.id, /^[A-Za-z0-9_-]{22}$/);
  }

  const ended = await request(server.url, "DELETE", `/sessions/${other?.id}`, {
    cookie: `session_id=${laptop}`,
  });
  assert.equal(ended.status, 200);
  assert.equal(
    (await request(server.url, "GET", "/profile", { cookie: `session_id=${phone}` })).status,
    403,
  );
  assert.equal(
    (await request(server.url, "GET", "/profile", { cookie: `session_id=${laptop}` })).status,
    200,
  );
});

test("someone else's session, or an unknown one: 404; no session: 403", async () => {
  await request(server.url, "POST", "/users", {
    form: { email: "alice@example.com", password: "b4l0u" },
  });
  await request(server.url, "POST", "/users", {
    form: { email: "mallory@example.com", password: "b4l0u" },
  });
  const alice = await login("alice@example.com", "b4l0u", "a");
  const mallory = await login("mallory@example.com", "b4l0u", "m");
  const aliceList = await request(server.url, "GET", "/sessions", {
    cookie: `session_id=${alice}`,
  });
  const aliceId = (aliceList.body as { sessions: SessionView[] }).sessions[0]?.id ?? "";

  const attempt = await request(server.url, "DELETE", `/sessions/${aliceId}`, {
    cookie: `session_id=${mallory}`,
  });
  assert.equal(attempt.status, 404);
  assert.equal(
    (await request(server.url, "GET", "/profile", { cookie: `session_id=${alice}` })).status,
    200,
  );
  const unknown = await request(server.url, "DELETE", "/sessions/not-a-session", {
    cookie: `session_id=${mallory}`,
  });
  assert.equal(unknown.status, 404);
  assert.equal((await request(server.url, "DELETE", `/sessions/${aliceId}`)).status, 403);
  assert.equal((await request(server.url, "GET", "/sessions")).status, 403);
});

test("PUT /profile/password checks the current password and ends the other sessions", async () => {
  const email = "changer@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "old-pass" } });
  const here = await login(email, "old-pass", "here");
  const elsewhere = await login(email, "old-pass", "elsewhere");
  const cookie = `session_id=${here}`;

  let r = await request(server.url, "PUT", "/profile/password", {
    form: { current_password: "wrong-pass", new_password: "new-pass" },
    cookie,
  });
  assert.equal(r.status, 403);
  r = await request(server.url, "PUT", "/profile/password", {
    form: { current_password: "old-pass", new_password: "abc" },
    cookie,
  });
  assert.equal(r.status, 400);
  assert.match((r.body as { message: string }).message, /at least 5/);
  r = await request(server.url, "PUT", "/profile/password", {
    form: { current_password: "old-pass" },
    cookie,
  });
  assert.equal(r.status, 400);
  r = await request(server.url, "PUT", "/profile/password", {
    form: { current_password: "old-pass", new_password: "new-pass" },
  });
  assert.equal(r.status, 403, "no session");

  r = await request(server.url, "PUT", "/profile/password", {
    form: { current_password: "old-pass", new_password: "new-pass" },
    cookie,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { message: "Password updated" });
  assert.equal(
    (await request(server.url, "GET", "/profile", { cookie })).status,
    200,
    "this session lives on",
  );
  assert.equal(
    (await request(server.url, "GET", "/profile", { cookie: `session_id=${elsewhere}` })).status,
    403,
  );
  assert.equal(
    (await request(server.url, "POST", "/sessions", { form: { email, password: "old-pass" } }))
      .status,
    401,
  );
  assert.equal(
    (await request(server.url, "POST", "/sessions", { form: { email, password: "new-pass" } }))
      .status,
    200,
  );
});
