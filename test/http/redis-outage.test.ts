import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { type PrivateRedis, startPrivateRedis } from "../helpers/private-redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  resetLinkOf,
  startSmtpServer,
  TEST_SECRET_KEY,
  type TestSmtpServer,
} from "../helpers/smtp.js";
import { countRows } from "../helpers/table-rows.js";

const STRONG = "correct horse battery staple";
const redis = await startPrivateRedis();

for (const factory of await testDatabases()) {
  describe(`Redis stopped, production on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : "skip" in redis ? redis.skip : false,
  }, () => {
    let database: TestDatabase;
    let smtp: TestSmtpServer;
    let server: TestServer;
    const { start, stop } = redis as PrivateRedis;

    before(async () => {
      if ("skip" in factory || "skip" in redis) return;
      database = await factory.create();
      smtp = await startSmtpServer();
      server = await startTestServer({
        AUTH_MODE: "production",
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${factory.name}:`,
        SMTP_URL: smtp.url,
        MAIL_FROM: "Auth <no-reply@example.test>",
        PUBLIC_URL: "https://auth.example.test",
        SECRET_KEY: TEST_SECRET_KEY,
        EMAIL_VERIFICATION: "off",
        // The test's receiver is on loopback, which production refuses unless listed.
        WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      });
      // An endpoint that never answers: its deliveries stay queued, to be counted.
      await server.service.webhooks.add("http://127.0.0.1:9/hook", [
        "user.created",
        "password.changed",
      ]);
    });
    after(async () => {
      try {
        await server?.close();
        await smtp?.close();
        await start();
      } finally {
        await database?.drop();
      }
    });

    const rows = (table: string, where: string) => countRows(database.url, table, where);
    const auditRows = async (email: string, event: string) =>
      (await server.service.audit.list({ email })).filter((entry) => entry.event === event);

    test("a reset completed while Redis is down: 200, audited, mailed and webhooked", async () => {
      const email = "reset-outage@example.com";
      assert.equal(
        (await request(server.url, "POST", "/users", { form: { email, password: STRONG } })).status,
        200,
      );
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: STRONG },
      });
      const cookie = `session_id=${sessionCookieOf(login)}`;
      assert.equal(
        (await request(server.url, "POST", "/reset_password", { form: { email } })).status,
        200,
      );
      const { token } = resetLinkOf(
        await smtp.waitForMail((m) => m.to.includes(email) && m.subject === "Reset your password"),
      );

      await stop();
      const newPassword = "a brand new passphrase";
      const put = await request(server.url, "PUT", "/reset_password", {
        form: { email, reset_token: token, new_password: newPassword },
      });
      assert.equal(put.status, 200, put.text);
      assert.equal(
        (await request(server.url, "GET", "/profile", { cookie })).status,
        403,
        "sessions ended",
      );
      assert.equal((await auditRows(email, "reset_completed")).length, 1);
      await smtp.waitForMail(
        (m) => m.to.includes(email) && m.subject === "Your password was changed",
      );
      assert.equal(await rows("webhook_deliveries", "event_type = 'password.changed'"), 1);
      const again = await request(server.url, "PUT", "/reset_password", {
        form: { email, reset_token: token, new_password: "yet another passphrase" },
      });
      assert.equal(again.status, 403, "the token was spent");

      // Logins fail closed while their locks are out of reach...
      const refused = await request(server.url, "POST", "/sessions", {
        form: { email, password: newPassword },
      });
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.headers.get("retry-after"), "1");
      await start();
      // ...and work again once Redis is back: the new password, not the old.
      const loggedIn = await loginWhenUp(server.url, email, newPassword);
      assert.equal(loggedIn, 200);
      assert.equal(
        (await request(server.url, "POST", "/sessions", { form: { email, password: STRONG } }))
          .status,
        401,
      );
    });

    test("registrations and reset requests go on while Redis is down (counted in the database)", async () => {
      await stop();
      try {
        const email = "register-outage@example.com";
        const registered = await request(server.url, "POST", "/users", {
          form: { email, password: STRONG },
        });
        assert.equal(registered.status, 200, registered.text);
        assert.equal((await auditRows(email, "register")).length, 1);
        assert.equal(
          await rows(
            "webhook_deliveries",
            "event_type = 'user.created' AND payload LIKE '%register-outage%'",
          ),
          1,
        );
        const requested = await request(server.url, "POST", "/reset_password", { form: { email } });
        assert.equal(requested.status, 200, requested.text);
        await smtp.waitForMail((m) => m.to.includes(email) && m.subject === "Reset your password");
        assert.ok(
          (await rows("login_throttle", "key LIKE 'register-%' OR key LIKE 'reset-%'")) > 0,
          "the request limits counted in the database meanwhile",
        );
        const login = await request(server.url, "POST", "/sessions", {
          form: { email, password: STRONG },
        });
        assert.equal(login.status, 503, "a login refused with nothing written");
        assert.equal(
          (await auditRows(email, "login")).filter((e) => e.outcome === "success").length,
          0,
        );
      } finally {
        await start();
      }
    });
  });
}

after(async () => {
  if (!("skip" in redis)) await redis.close();
});

/** The login's status once the service's Redis client has reconnected (it retries by itself). */
async function loginWhenUp(url: string, email: string, password: string): Promise<number> {
  let status = 0;
  for (let i = 0; i < 40; i++) {
    status = (await request(url, "POST", "/sessions", { form: { email, password } })).status;
    if (status !== 503) return status;
    await sleep(250);
  }
  return status;
}
