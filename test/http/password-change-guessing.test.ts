import assert from "node:assert/strict";
import { test } from "node:test";
import { REAUTH_MAX_FAILURES } from "../../src/core/password-change.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp } from "../helpers/server.js";

test("guessing the current password with a stolen session: counted, audited, then the session ends", {
  timeout: 30_000,
}, async () => {
  const server = await startTestApp({ LOGIN_MAX_FAILURES: "50" });
  try {
    const form = { email: "guessed@example.com", password: "the-real-one" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const login = await request(server.url, "POST", "/sessions", { form });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const change = (current: string) =>
      request(server.url, "PUT", "/profile/password", {
        form: { current_password: current, new_password: "attacker-chosen" },
        cookie,
      });

    for (let i = 1; i < REAUTH_MAX_FAILURES; i++) {
      assert.equal((await change(`guess-${i}`)).status, 403);
      assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 200);
    }
    const last = await change("guess-last");
    assert.equal(last.status, 403);
    assert.match((last.body as { message: string }).message, /session has ended/);
    assert.ok(
      last.headers.getSetCookie().some((line) => /^session_id=;.*Max-Age=0/i.test(line)),
      "the cookie is cleared",
    );
    assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 403);
    // The right password now changes nothing: the stolen session is gone.
    assert.equal((await change(form.password)).status, 403);
    assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);

    await server.service.audit.flush();
    const rows = (await server.service.audit.list({ email: form.email })).filter(
      (entry) => entry.event === "reauthentication",
    );
    assert.deepEqual(
      rows.map((entry) => entry.outcome),
      [...Array(REAUTH_MAX_FAILURES - 1).fill("failure"), "failure_session_ended"],
    );
  } finally {
    await server.close();
  }
});

test("wrong current passwords count toward the account's login throttling", {
  timeout: 30_000,
}, async () => {
  const server = await startTestApp({ LOGIN_MAX_FAILURES: "3", LOGIN_LOCKOUT_BASE: "10m" });
  try {
    const form = { email: "locked@example.com", password: "the-real-one" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    for (let i = 0; i < 3; i++) {
      const wrong = await request(server.url, "PUT", "/profile/password", {
        form: { current_password: `guess-${i}`, new_password: "attacker-chosen" },
        cookie,
      });
      assert.equal(wrong.status, 403);
    }
    const locked = await request(server.url, "PUT", "/profile/password", {
      form: { current_password: form.password, new_password: "attacker-chosen" },
      cookie,
    });
    assert.equal(locked.status, 429, "the account is locked: even the right password waits");
  } finally {
    await server.close();
  }
});
