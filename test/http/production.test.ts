import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  resetLinkOf,
  startSmtpServer,
  TEST_SECRET_KEY,
  type TestSmtpServer,
} from "../helpers/smtp.js";

const PUBLIC_URL = "https://auth.example.test";
const STRONG = "correct horse battery staple";

/** Production mode, mail to the test SMTP server; reset limits low enough to reach. */
function productionEnv(smtp: TestSmtpServer, databaseUrl: string): Record<string, string> {
  return {
    AUTH_MODE: "production",
    DATABASE_URL: databaseUrl,
    SMTP_URL: smtp.url,
    MAIL_FROM: "Auth <no-reply@example.test>",
    PUBLIC_URL,
    SECRET_KEY: TEST_SECRET_KEY,
    // Production's default, required, is exercised by the email-verification tests.
    EMAIL_VERIFICATION: "off",
    RESET_MAX_PER_EMAIL: "3",
    RESET_MAX_PER_IP: "0",
  };
}

for (const factory of await testDatabases()) {
  describe(`production mode on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let smtp: TestSmtpServer;
    let server: TestServer;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      smtp = await startSmtpServer();
      server = await startTestServer(productionEnv(smtp, database.url));
    });
    after(async () => {
      try {
        await server?.close();
        await smtp?.close();
      } finally {
        await database?.drop();
      }
    });

    test("no /metrics without METRICS_TOKEN, no Swagger UI; the OpenAPI document stays", async () => {
      assert.equal((await request(server.url, "GET", "/metrics")).status, 404);
      assert.equal((await request(server.url, "GET", "/docs")).status, 404);
      assert.equal((await request(server.url, "GET", "/openapi.json")).status, 200);
      const scraped = await startTestServer({
        ...productionEnv(smtp, database.url),
        METRICS_TOKEN: "production-scrape-token",
      });
      try {
        assert.equal((await request(scraped.url, "GET", "/metrics")).status, 401);
        const authorization = "Bearer production-scrape-token";
        const metrics = await request(scraped.url, "GET", "/metrics", {
          headers: { authorization },
        });
        assert.equal(metrics.status, 200);
      } finally {
        await scraped.close();
      }
    });

    test("weak passwords get 400 saying why; a strong one registers", async () => {
      const cases: Array<[string, RegExp]> = [
        ["b4l0u", /at least 8 characters/],
        ["password1", /most common passwords/],
        ["Qwerty123", /most common passwords/],
        ["policy.user2024", /email/],
      ];
      for (const [password, message] of cases) {
        const r = await request(server.url, "POST", "/users", {
          form: { email: "policy.user@example.com", password },
        });
        assert.equal(r.status, 400, password);
        assert.match((r.body as { message: string }).message, message, password);
      }
      const r = await request(server.url, "POST", "/users", {
        form: { email: "policy.user@example.com", password: STRONG },
      });
      assert.equal(r.status, 200);
    });

    test("the session cookie is Secure", async () => {
      const r = await request(server.url, "POST", "/sessions", {
        form: { email: "policy.user@example.com", password: STRONG },
      });
      assert.equal(r.status, 200);
      const cookie = r.headers.getSetCookie().find((line) => line.startsWith("session_id="));
      assert.ok(cookie);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
    });

    test("reset: identical answers for any email, a mailed link from PUBLIC_URL that works once", async () => {
      const email = "resetter@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: STRONG } });
      const loggedIn = await request(server.url, "POST", "/sessions", {
        form: { email, password: STRONG },
      });
      const oldSession = sessionCookieOf(loggedIn);

      // A forged Host header must not end up in the mailed link.
      const headers = { host: "evil.example" };
      const known = await request(server.url, "POST", "/reset_password", {
        form: { email },
        headers,
      });
      const unknown = await request(server.url, "POST", "/reset_password", {
        form: { email: "nobody@example.com" },
        headers,
      });
      assert.equal(known.status, 200);
      assert.equal(unknown.status, 200);
      assert.deepEqual(Object.keys(known.body as object), Object.keys(unknown.body as object));
      assert.equal(
        (known.body as { message: string }).message,
        (unknown.body as { message: string }).message,
      );
      assert.ok(!known.text.includes("reset_token"), "no token in the answer");

      const mail = await smtp.waitForMail(
        (m) => m.to.includes(email) && m.subject === "Reset your password",
      );
      assert.match(mail.raw, /^From: Auth <no-reply@example\.test>/im);
      const { link, token } = resetLinkOf(mail);
      assert.equal(link.origin, PUBLIC_URL);
      assert.equal(link.pathname, "/account/reset");
      assert.ok(token.length >= 22, "at least 128 bits");
      assert.ok(mail.text.includes(`reset token: ${token}`), "the token itself is in the mail");
      assert.ok(!known.text.includes(token));

      const newPassword = "a brand new passphrase";
      const put = (password: string) =>
        request(server.url, "PUT", "/reset_password", {
          form: { email, reset_token: token, new_password: password },
        });
      assert.equal((await put("password")).status, 400, "the policy applies to resets");
      assert.equal((await put(newPassword)).status, 200);
      assert.equal((await put(`${newPassword}!`)).status, 403, "a token works once");

      const profile = await request(server.url, "GET", "/profile", {
        cookie: `session_id=${oldSession}`,
      });
      assert.equal(profile.status, 403, "the reset ended the old session");
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: newPassword },
      });
      assert.equal(login.status, 200);

      const notice = await smtp.waitForMail(
        (m) => m.to.includes(email) && m.subject === "Your password was changed",
      );
      assert.ok(!notice.text.includes(token));
      // The unregistered email's request was handled too, and mailed nothing.
      await server.service.outbox?.drain();
      assert.equal(smtp.mails.filter((m) => m.to.includes("nobody@example.com")).length, 0);
    });

    test("reset requests are limited per email, the same way for unregistered emails", async () => {
      for (const email of ["policy.user@example.com", "ghost@example.com"]) {
        const statuses: number[] = [];
        let retryAfter: string | null = null;
        for (let i = 0; i < 4; i++) {
          const r = await request(server.url, "POST", "/reset_password", { form: { email } });
          statuses.push(r.status);
          if (r.status === 429) retryAfter = r.headers.get("retry-after");
        }
        assert.deepEqual(statuses, [200, 200, 200, 429], email);
        assert.ok(Number(retryAfter) > 0, "Retry-After says when");
      }
    });

    test("reset requests are limited per client address too, across emails", async () => {
      const limited = await startTestServer({
        ...productionEnv(smtp, "sqlite::memory:"),
        RESET_MAX_PER_EMAIL: "0",
        RESET_MAX_PER_IP: "3",
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await request(limited.url, "POST", "/reset_password", {
            form: { email: `spray-${i}@example.com` },
          });
          statuses.push(r.status);
        }
        assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
        const entries = await limited.service.audit.list();
        assert.deepEqual(
          entries.map((entry) => entry.outcome),
          ["accepted", "accepted", "accepted", "throttled", "throttled"],
        );
      } finally {
        await limited.close();
      }
    });

    test("a throttled login is audited as such", async () => {
      const email = "locked-out@example.com";
      for (let i = 0; i < 10; i++) {
        const r = await request(server.url, "POST", "/sessions", {
          form: { email, password: "not the password" },
        });
        assert.equal(r.status, 401);
      }
      const r = await request(server.url, "POST", "/sessions", {
        form: { email, password: "not the password" },
      });
      assert.equal(r.status, 429);
      const entries = await server.service.audit.list({ email });
      assert.equal(entries.filter((entry) => entry.outcome === "failure").length, 10);
      assert.equal(entries.at(-1)?.outcome, "throttled");
    });

    test("a password change mails a notice", async () => {
      const email = "changer@example.com";
      await request(server.url, "POST", "/users", { form: { email, password: STRONG } });
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: STRONG },
      });
      const r = await request(server.url, "PUT", "/profile/password", {
        cookie: `session_id=${sessionCookieOf(login)}`,
        form: { current_password: STRONG, new_password: "iloveyou" },
      });
      assert.equal(r.status, 400, "a common new password is refused");
      const changed = await request(server.url, "PUT", "/profile/password", {
        cookie: `session_id=${sessionCookieOf(login)}`,
        form: { current_password: STRONG, new_password: "another fine passphrase" },
      });
      assert.equal(changed.status, 200);
      const notice = await smtp.waitForMail((m) => m.to.includes(email));
      assert.equal(notice.subject, "Your password was changed");
    });

    test("the audit trail holds who did what, from where, and no secret", async () => {
      const email = "audited@example.com";
      const agent = { "user-agent": "audit-test/1.0" };
      await request(server.url, "POST", "/users", {
        form: { email, password: STRONG },
        headers: agent,
      });
      await request(server.url, "POST", "/sessions", {
        form: { email, password: "wrong password here" },
        headers: agent,
      });
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: STRONG },
        headers: agent,
      });
      await request(server.url, "DELETE", "/sessions", {
        cookie: `session_id=${sessionCookieOf(login)}`,
        headers: agent,
      });
      await request(server.url, "POST", "/reset_password", { form: { email }, headers: agent });

      const entries = await server.service.audit.list({ email: "AUDITED@example.com" });
      assert.deepEqual(
        entries.map((entry) => `${entry.event}:${entry.outcome}`),
        [
          "register:success",
          "login:failure",
          "login:success",
          "logout:success",
          "reset_requested:accepted",
        ],
      );
      const userId = entries[0]?.userId;
      assert.ok(typeof userId === "number");
      for (const entry of entries) {
        assert.equal(entry.email, email);
        assert.equal(entry.ip, "127.0.0.1");
        assert.equal(entry.userAgent, "audit-test/1.0");
        assert.ok(Date.now() - entry.at.getTime() < 60_000);
      }
      assert.equal(entries[1]?.userId, null, "a failed login does not say whether the user exists");
      assert.equal(entries[2]?.userId, userId);
      assert.equal(entries[3]?.userId, userId);
      const everything = JSON.stringify(await server.service.audit.list());
      assert.ok(!everything.includes(STRONG));
      assert.ok(!everything.includes("wrong password here"));
      assert.ok(!/\$2[aby]\$|\$argon2/.test(everything), "no hash");
      assert.ok(everything.includes('"reset_completed"'), "earlier tests' resets are there");
      assert.ok(everything.includes('"password_changed"'));
    });
  });
}

describe("production reset timing", () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({
      ...productionEnv(smtp, "sqlite::memory:"),
      RESET_MAX_PER_EMAIL: "0",
      RESET_MAX_PER_EMAIL_AND_IP: "0",
    });
    await request(server.url, "POST", "/users", {
      form: { email: "timed@example.com", password: STRONG },
    });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  test("registered and unregistered emails answer in the same time", async () => {
    const time = async (email: string) => {
      const started = performance.now();
      const r = await request(server.url, "POST", "/reset_password", { form: { email } });
      assert.equal(r.status, 200);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) await time("warm-up@example.com");
    for (let i = 0; i < 40; i++) {
      known.push(await time("timed@example.com"));
      unknown.push(await time(`nobody-${i}@example.com`));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? 0;
    const [a, b] = [median(known), median(unknown)];
    // The request path does the same work for both (a counter and an outbox
    // row); the lookup and the mail happen later. A registered email that
    // cost a lookup plus a token write plus SMTP would show as several ms.
    assert.ok(Math.abs(a - b) < Math.max(1.5, 0.5 * Math.min(a, b)), `median ${a} ms vs ${b} ms`);
  });
});

test("rehash on login: users made with bcrypt hold argon2id hashes after the switch", async () => {
  const smtp = await startSmtpServer();
  const database = (await testDatabases())[0];
  assert.ok(database && "create" in database);
  const { url, drop } = await database.create();
  const env = productionEnv(smtp, url);
  try {
    const bcryptServer = await startTestServer(env);
    const emails = ["first@example.com", "second@example.com"];
    for (const email of emails) {
      await request(bcryptServer.url, "POST", "/users", { form: { email, password: STRONG } });
    }
    const before = await bcryptServer.service.db.findUserBy({ email: emails[0] });
    assert.match(before.hashedPassword ?? "", /^\$2b\$04\$/);
    await bcryptServer.close();

    const argonServer = await startTestServer({
      ...env,
      PASSWORD_HASH: "argon2id",
      ARGON2_MEMORY_COST: "1024",
      ARGON2_TIME_COST: "1",
    });
    try {
      const login = await request(argonServer.url, "POST", "/sessions", {
        form: { email: emails[0] ?? "", password: STRONG },
      });
      assert.equal(login.status, 200, "the bcrypt hash still verifies");
      const rehashed = await argonServer.service.db.findUserBy({ email: emails[0] });
      assert.match(rehashed.hashedPassword ?? "", /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      const untouched = await argonServer.service.db.findUserBy({ email: emails[1] });
      assert.match(untouched.hashedPassword ?? "", /^\$2b\$/, "only a login rehashes");
      const again = await request(argonServer.url, "POST", "/sessions", {
        form: { email: emails[0] ?? "", password: STRONG },
      });
      assert.equal(again.status, 200, "and the new hash verifies");
    } finally {
      await argonServer.close();
    }
  } finally {
    await drop();
    await smtp.close();
  }
});
