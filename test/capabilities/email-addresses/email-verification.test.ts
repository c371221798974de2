import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u";

/**
 * Verified addresses and email changes through the real server, in
 * development with EMAIL_VERIFICATION=required (tokens come back in the
 * answers), on each database.
 */
for (const factory of await testDatabases()) {
  describe(`email verification and change on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let users = 0;
    const url = () => server.url;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestApp({
        DATABASE_URL: database.url,
        EMAIL_VERIFICATION: "required",
      });
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    const login = (email: string, password = PASSWORD) =>
      request(url(), "POST", "/sessions", { form: { email, password } });

    async function verificationToken(email: string): Promise<string> {
      const r = await request(url(), "POST", "/users/verification", { json: { email } });
      assert.equal(r.status, 200, r.text);
      return (r.body as { verification_token: string }).verification_token;
    }

    /** A registered, verified user with a session cookie. */
    async function verifiedUser(): Promise<{ email: string; cookie: string }> {
      const email = `user${++users}@example.com`;
      assert.equal(
        (await request(url(), "POST", "/users", { form: { email, password: PASSWORD } })).status,
        200,
      );
      const token = await verificationToken(email);
      assert.equal(
        (await request(url(), "POST", "/users/verify", { json: { token } })).status,
        200,
      );
      const r = await login(email);
      assert.equal(r.status, 200, r.text);
      return { email, cookie: `session_id=${sessionCookieOf(r)}` };
    }

    test(
      "required: no session until the address is verified; the token works once",
      TIMEOUT,
      async () => {
        const email = "fresh@example.com";
        const registered = await request(url(), "POST", "/users", {
          form: { email, password: PASSWORD },
        });
        assert.deepEqual(registered.body, { email, message: "user created" });
        const refused = await login(email);
        assert.equal(refused.status, 403);
        assert.equal((refused.body as { error: string }).error, "email_not_verified");
        assert.equal(sessionCookieOf(refused), undefined);
        const wrong = await login(email, "not-it");
        assert.equal(wrong.status, 401, "a wrong password says nothing about verification");

        const token = await verificationToken(email);
        assert.match(token, /^[A-Za-z0-9_-]{43}$/);
        const verified = await request(url(), "POST", "/users/verify", { form: { token } });
        assert.deepEqual(verified.body, { email, message: "email verified" });
        const again = await request(url(), "POST", "/users/verify", { form: { token } });
        assert.equal(again.status, 400);
        assert.equal((again.body as { error: string }).error, "invalid_verification_token");

        const ok = await login(email);
        assert.equal(ok.status, 200);
        const profile = await request(url(), "GET", "/profile", {
          cookie: `session_id=${sessionCookieOf(ok)}`,
        });
        assert.deepEqual(profile.body, { email, email_verified: true });
      },
    );

    test(
      "a newer link leaves the older working; the first used voids the rest",
      TIMEOUT,
      async () => {
        const email = "twice@example.com";
        await request(url(), "POST", "/users", { form: { email, password: PASSWORD } });
        const tokens = [];
        for (let i = 0; i < 12; i++) tokens.push(await verificationToken(email));
        const verify = async (token: string | undefined) =>
          (await request(url(), "POST", "/users/verify", { json: { token } })).status;
        // Ten stay live (as many as the default request limit allows); the oldest beyond them go.
        assert.equal(await verify(tokens[1]), 400, "the second oldest, beyond the ten live ones");
        assert.equal(await verify(tokens[2]), 200, "an earlier link still works");
        for (const token of [tokens[3], tokens[11]]) assert.equal(await verify(token), 400);
      },
    );

    test(
      "development answers 403 for an unregistered email, as the reset does",
      TIMEOUT,
      async () => {
        const r = await request(url(), "POST", "/users/verification", {
          json: { email: "nobody@example.com" },
        });
        assert.equal(r.status, 403);
        for (const token of ["", "x".repeat(200), "not-a-token"]) {
          const bad = await request(url(), "POST", "/users/verify", { json: { token } });
          assert.equal(bad.status, 400, token);
        }
      },
    );

    test(
      "changing the email: password, link to the new address, applied on confirmation",
      TIMEOUT,
      async () => {
        const { email, cookie } = await verifiedUser();
        const other = `session_id=${sessionCookieOf(await login(email))}`;
        const newEmail = `moved${users}@example.com`;
        const wrong = await request(url(), "PUT", "/profile/email", {
          cookie,
          json: { new_email: newEmail, password: "not-it" },
        });
        assert.equal(wrong.status, 403);
        const same = await request(url(), "PUT", "/profile/email", {
          cookie,
          json: { new_email: email.toUpperCase(), password: PASSWORD },
        });
        assert.equal(same.status, 400);
        const invalid = await request(url(), "PUT", "/profile/email", {
          cookie,
          json: { new_email: "not an email", password: PASSWORD },
        });
        assert.equal(invalid.status, 400);
        const asked = await request(url(), "PUT", "/profile/email", {
          cookie,
          json: { new_email: newEmail, password: PASSWORD },
        });
        assert.equal(asked.status, 202, asked.text);
        const token = (asked.body as { confirmation_token: string }).confirmation_token;
        assert.ok(token);
        // Nothing changes before the confirmation.
        assert.deepEqual((await request(url(), "GET", "/profile", { cookie })).body, {
          email,
          email_verified: true,
        });
        const done = await request(url(), "POST", "/profile/email/confirm", { json: { token } });
        assert.deepEqual(done.body, { email: newEmail, message: "email changed" });
        assert.deepEqual((await request(url(), "GET", "/profile", { cookie })).body, {
          email: newEmail,
          email_verified: true,
        });
        assert.equal(
          (await request(url(), "GET", "/profile", { cookie: other })).status,
          403,
          "other sessions end",
        );
        assert.equal((await login(email)).status, 401, "the old address no longer signs in");
        assert.equal((await login(newEmail)).status, 200);
        const reused = await request(url(), "POST", "/profile/email/confirm", { json: { token } });
        assert.equal(reused.status, 400);
      },
    );

    test(
      "two users confirming changes to one address at once: one wins, the other gets 409",
      TIMEOUT,
      async () => {
        const target = `contested${users}@example.com`;
        const askers = [await verifiedUser(), await verifiedUser()];
        const tokens: string[] = [];
        for (const { cookie } of askers) {
          const r = await request(url(), "PUT", "/profile/email", {
            cookie,
            json: { new_email: target, password: PASSWORD },
          });
          assert.equal(r.status, 202);
          tokens.push((r.body as { confirmation_token: string }).confirmation_token);
        }
        const results = await Promise.all(
          tokens.map((token) =>
            request(url(), "POST", "/profile/email/confirm", { json: { token } }),
          ),
        );
        assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
        const loser = results.find((r) => r.status === 409);
        assert.equal((loser?.body as { error?: string } | undefined)?.error, "email_taken");
        const emails = await Promise.all(
          askers.map(
            async ({ cookie }) =>
              ((await request(url(), "GET", "/profile", { cookie })).body as { email: string })
                .email,
          ),
        );
        assert.equal(emails.filter((email) => email === target).length, 1, "exactly one has it");
      },
    );

    test("every new route refuses bad input with 4xx JSON", TIMEOUT, async () => {
      const { cookie } = await verifiedUser();
      for (const [method, path, json] of [
        ["POST", "/users/verify", { token: 42 }],
        ["POST", "/users/verify", {}],
        ["POST", "/users/verification", { email: ["a@b.co"] }],
        ["POST", "/users/verification", { email: "a\u0000@b.co" }],
        ["PUT", "/profile/email", { new_email: "x@example.com" }],
        ["PUT", "/profile/email", { new_email: "x\ud800@example.com", password: PASSWORD }],
        ["POST", "/profile/email/confirm", { token: "a".repeat(129) }],
      ] as const) {
        const r = await request(url(), method, path, { json, cookie });
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${r.status}`);
        assert.equal(typeof (r.body as { error: unknown }).error, "string");
      }
    });
  });
}

describe("EMAIL_VERIFICATION off (development's default)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp();
  });
  after(async () => server?.close());

  test("the original answers, GET /profile exactly {email}", TIMEOUT, async () => {
    const form = { email: "plain@example.com", password: PASSWORD };
    assert.deepEqual((await request(server.url, "POST", "/users", { form })).body, {
      email: form.email,
      message: "user created",
    });
    const login = await request(server.url, "POST", "/sessions", { form });
    assert.deepEqual(login.body, { email: form.email, message: "logged in" });
    const profile = await request(server.url, "GET", "/profile", {
      cookie: `session_id=${sessionCookieOf(login)}`,
    });
    assert.equal(profile.text, JSON.stringify({ email: form.email }));
  });
});
