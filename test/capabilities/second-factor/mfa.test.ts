import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u";
const basic = (email: string, password: string) =>
  `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`;

interface Account {
  email: string;
  cookie: string;
  secret: string;
  recoveryCodes: string[];
}

/**
 * Two-factor authentication through the real server: each database, a clock
 * the tests move (TOTP steps and mfa_token expiry), and the JSON API.
 */
for (const factory of await testDatabases()) {
  describe(`two-factor authentication on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const clock = manualClock(Date.parse("2026-05-04T10:00:05Z"));
    let database: TestDatabase;
    let server: TestServer;
    let accounts = 0;
    const url = () => server.url;

    /** A step later: every test's codes are fresh, whatever the last one used. */
    const nextStep = () => clock.advance(30_000);

    async function signUp(): Promise<{ email: string; cookie: string }> {
      const email = `mfa${++accounts}@example.com`;
      const form = { email, password: PASSWORD };
      assert.equal((await request(url(), "POST", "/users", { form })).status, 200);
      const login = await request(url(), "POST", "/sessions", { form });
      assert.equal(login.status, 200, login.text);
      return { email, cookie: `session_id=${sessionCookieOf(login)}` };
    }

    async function withTotp(): Promise<Account> {
      const { email, cookie } = await signUp();
      const setup = await request(url(), "POST", "/mfa/totp/setup", { cookie });
      assert.equal(setup.status, 200, setup.text);
      const { secret } = setup.body as { secret: string };
      const confirm = await request(url(), "POST", "/mfa/totp/confirm", {
        cookie,
        json: { code: totpCode(secret, clock.now()), password: PASSWORD },
      });
      assert.equal(confirm.status, 200, confirm.text);
      nextStep();
      const { recovery_codes: recoveryCodes } = confirm.body as { recovery_codes: string[] };
      return { email, cookie, secret, recoveryCodes };
    }

    /** The first step of a login that needs the second: its mfa_token. */
    async function firstStep(email: string): Promise<string> {
      const r = await request(url(), "POST", "/sessions", { json: { email, password: PASSWORD } });
      assert.equal(r.status, 401, r.text);
      assert.equal((r.body as { error: string }).error, "mfa_required");
      return (r.body as { mfa_token: string }).mfa_token;
    }

    const secondStep = (mfaToken: string, code: string) =>
      request(url(), "POST", "/sessions/mfa", { json: { mfa_token: mfaToken, code } });

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestApp(
        { DATABASE_URL: database.url, LOGIN_MAX_FAILURES: "8", LOGIN_LOCKOUT_BASE: "10m" },
        { now: clock.now },
      );
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    test("setup, confirm, status, new recovery codes, turn off", TIMEOUT, async () => {
      const { email, cookie } = await signUp();
      const off = await request(url(), "GET", "/mfa", { cookie });
      assert.deepEqual(off.body, { totp: false, recovery_codes_left: 0, passkeys: 0 });

      const setup = await request(url(), "POST", "/mfa/totp/setup", { cookie });
      assert.equal(setup.status, 200);
      const { secret, otpauth_uri: uri } = setup.body as { secret: string; otpauth_uri: string };
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const parsed = new URL(uri);
      assert.equal(parsed.protocol, "otpauth:");
      assert.equal(parsed.host, "totp");
      assert.equal(parsed.searchParams.get("secret"), secret);
      assert.equal(parsed.searchParams.get("issuer"), "auth-service");
      assert.ok(decodeURIComponent(parsed.pathname).endsWith(email));

      // Pending: logins do not change until a code confirms it.
      const form = { email, password: PASSWORD };
      assert.equal((await request(url(), "POST", "/sessions", { form })).status, 200);

      const code = totpCode(secret, clock.now());
      const wrongCode = await request(url(), "POST", "/mfa/totp/confirm", {
        cookie,
        json: { code: code === "000000" ? "111111" : "000000", password: PASSWORD },
      });
      assert.equal(wrongCode.status, 400);
      assert.equal((wrongCode.body as { error: string }).error, "invalid_code");
      const wrongPassword = await request(url(), "POST", "/mfa/totp/confirm", {
        cookie,
        json: { code, password: "not-it" },
      });
      assert.equal(wrongPassword.status, 403);
      assert.deepEqual((await request(url(), "GET", "/mfa", { cookie })).body, {
        totp: false,
        recovery_codes_left: 0,
        passkeys: 0,
      });

      const confirmed = await request(url(), "POST", "/mfa/totp/confirm", {
        cookie,
        form: { code, password: PASSWORD },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.equal(confirmed.headers.get("cache-control"), "no-store");
      const codes = (confirmed.body as { recovery_codes: string[] }).recovery_codes;
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      assert.deepEqual((await request(url(), "GET", "/mfa", { cookie })).body, {
        totp: true,
        recovery_codes_left: 10,
        passkeys: 0,
      });
      const again = await request(url(), "POST", "/mfa/totp/setup", { cookie });
      assert.equal(again.status, 409);
      assert.equal((again.body as { error: string }).error, "mfa_already_enabled");

      const refused = await request(url(), "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: "not-it" },
      });
      assert.equal(refused.status, 403);
      // The password alone no longer does: a current code must come with it.
      const passwordOnly = await request(url(), "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(passwordOnly.status, 403);
      assert.equal((passwordOnly.body as { error: string }).error, "mfa_required");
      const wrongRenewCode = await request(url(), "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: PASSWORD, code: "aaaaa-bbbbb" },
      });
      assert.equal(wrongRenewCode.status, 403);
      assert.equal((wrongRenewCode.body as { error: string }).error, "invalid_code");
      const renewed = await request(url(), "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: PASSWORD, code: codes[1] },
      });
      assert.equal(renewed.status, 200, renewed.text);
      const fresh = (renewed.body as { recovery_codes: string[] }).recovery_codes;
      assert.equal(fresh.length, 10);
      assert.ok(fresh.every((c) => !codes.includes(c)));
      // The old codes are void, the new ones work.
      const old = await secondStep(await firstStep(email), codes[0] ?? "");
      assert.equal(old.status, 401);
      assert.equal((old.body as { error: string }).error, "invalid_code");
      const ok = await secondStep(await firstStep(email), fresh[0] ?? "");
      assert.equal(ok.status, 200, ok.text);

      const keep = await request(url(), "DELETE", "/mfa/totp", {
        cookie,
        json: { password: "not-it" },
      });
      assert.equal(keep.status, 403);
      const keptWithoutCode = await request(url(), "DELETE", "/mfa/totp", {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(keptWithoutCode.status, 403);
      assert.equal((keptWithoutCode.body as { error: string }).error, "mfa_required");
      assert.equal(
        ((await request(url(), "GET", "/mfa", { cookie })).body as { totp: boolean }).totp,
        true,
      );
      const turnedOff = await request(url(), "DELETE", "/mfa/totp", {
        cookie,
        json: { password: PASSWORD, code: fresh[1] },
      });
      assert.equal(turnedOff.status, 200, turnedOff.text);
      assert.deepEqual((await request(url(), "GET", "/mfa", { cookie })).body, {
        totp: false,
        recovery_codes_left: 0,
        passkeys: 0,
      });
      assert.equal((await request(url(), "POST", "/sessions", { form })).status, 200);
      const twice = await request(url(), "DELETE", "/mfa/totp", {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(twice.status, 409);
    });

    test("every /mfa route needs a session", TIMEOUT, async () => {
      for (const [method, path, json] of [
        ["GET", "/mfa", undefined],
        ["POST", "/mfa/totp/setup", undefined],
        ["POST", "/mfa/totp/confirm", { code: "123456", password: PASSWORD }],
        ["DELETE", "/mfa/totp", { password: PASSWORD }],
        ["POST", "/mfa/recovery-codes", { password: PASSWORD }],
      ] as const) {
        const r = await request(url(), method, path, { json, cookie: "session_id=nope" });
        assert.equal(r.status, 403, `${method} ${path}`);
        const bearer = await request(url(), method, path, {
          json,
          headers: { authorization: "Bearer nope" },
        });
        assert.equal(bearer.status, 401, `${method} ${path} with a bearer token`);
      }
    });

    test(
      "a login with TOTP: form, JSON and Basic all stop at mfa_required without a cookie",
      TIMEOUT,
      async () => {
        const { email, secret } = await withTotp();
        for (const options of [
          { form: { email, password: PASSWORD } },
          { json: { email, password: PASSWORD } },
          { headers: { authorization: basic(email, PASSWORD) } },
        ]) {
          const r = await request(url(), "POST", "/sessions", options);
          assert.equal(r.status, 401, r.text);
          const body = r.body as { message: string; error: string; mfa_token: string };
          assert.equal(body.error, "mfa_required");
          assert.equal(typeof body.message, "string");
          assert.match(body.mfa_token, /^[A-Za-z0-9_-]{43}$/);
          assert.equal(sessionCookieOf(r), undefined);
          assert.ok(!("session_token" in body));
        }
        const done = await secondStep(await firstStep(email), totpCode(secret, clock.now()));
        assert.equal(done.status, 200, done.text);
        const session = sessionCookieOf(done);
        assert.ok(session);
        // The first step was JSON: a program's login, so the token is in the body too.
        assert.deepEqual(done.body, { email, message: "logged in", session_token: session });
        const profile = await request(url(), "GET", "/profile", {
          cookie: `session_id=${session}`,
        });
        assert.deepEqual(profile.body, { email });
      },
    );

    test(
      "a TOTP code works once: the same code with a new mfa_token is refused",
      TIMEOUT,
      async () => {
        const { email, secret } = await withTotp();
        const code = totpCode(secret, clock.now());
        assert.equal((await secondStep(await firstStep(email), code)).status, 200);
        const replay = await secondStep(await firstStep(email), code);
        assert.equal(replay.status, 401);
        assert.equal((replay.body as { error: string }).error, "invalid_code");
        assert.equal(sessionCookieOf(replay), undefined);
        // A code of an earlier step than the last used one is a replay too.
        nextStep();
        const earlier = totpCode(secret, new Date(clock.now().getTime() - 60_000));
        assert.equal((await secondStep(await firstStep(email), earlier)).status, 401);
      },
    );

    test("one step of clock drift either side is accepted, two are refused", TIMEOUT, async () => {
      const { email, secret } = await withTotp();
      nextStep(); // one behind is then not the step the confirmation used
      const at = (steps: number) =>
        totpCode(secret, new Date(clock.now().getTime() + steps * 30_000));
      assert.equal((await secondStep(await firstStep(email), at(-2))).status, 401, "two behind");
      assert.equal((await secondStep(await firstStep(email), at(2))).status, 401, "two ahead");
      assert.equal((await secondStep(await firstStep(email), at(-1))).status, 200, "one behind");
      nextStep();
      nextStep();
      assert.equal((await secondStep(await firstStep(email), at(1))).status, 200, "one ahead");
    });

    test(
      "recovery codes: each works once, typed loosely, and the count goes down",
      TIMEOUT,
      async () => {
        const { email, cookie, recoveryCodes } = await withTotp();
        const [first = "", second = ""] = recoveryCodes;
        const used = await secondStep(await firstStep(email), first);
        assert.equal(used.status, 200, used.text);
        assert.ok(sessionCookieOf(used));
        const reused = await secondStep(await firstStep(email), first);
        assert.equal(reused.status, 401);
        assert.equal((reused.body as { error: string }).error, "invalid_code");
        const loose = await secondStep(
          await firstStep(email),
          ` ${second.toUpperCase().replace("-", " ")} `,
        );
        assert.equal(loose.status, 200, loose.text);
        assert.deepEqual((await request(url(), "GET", "/mfa", { cookie })).body, {
          totp: true,
          recovery_codes_left: 8,
          passkeys: 0,
        });
      },
    );

    test("an mfa_token expires after 5 minutes and works once", TIMEOUT, async () => {
      const { email, secret } = await withTotp();
      const token = await firstStep(email);
      clock.advance(5 * 60_000 + 1000);
      const late = await secondStep(token, totpCode(secret, clock.now()));
      assert.equal(late.status, 401);
      assert.equal((late.body as { error: string }).error, "invalid_mfa_token");

      nextStep();
      const once = await firstStep(email);
      assert.equal((await secondStep(once, totpCode(secret, clock.now()))).status, 200);
      nextStep();
      const twice = await secondStep(once, totpCode(secret, clock.now()));
      assert.equal(twice.status, 401);
      assert.equal((twice.body as { error: string }).error, "invalid_mfa_token");
      assert.equal(sessionCookieOf(twice), undefined);
    });

    test("an mfa_token dies after 5 wrong codes, even before the right one", TIMEOUT, async () => {
      const { email, secret } = await withTotp();
      const token = await firstStep(email);
      const right = totpCode(secret, clock.now());
      const wrong = right === "000000" ? "111111" : "000000";
      for (let i = 1; i <= 4; i++) {
        const r = await secondStep(token, wrong);
        assert.equal(r.status, 401);
        assert.equal((r.body as { error: string }).error, "invalid_code", `try ${i}`);
      }
      const fifth = await secondStep(token, wrong);
      assert.equal(fifth.status, 401);
      assert.equal((fifth.body as { error: string }).error, "invalid_mfa_token");
      const dead = await secondStep(token, right);
      assert.equal(dead.status, 401);
      assert.equal((dead.body as { error: string }).error, "invalid_mfa_token");
      // Another login still can: the lock is per token (and the throttle, below).
      nextStep();
      clock.advance(24 * 60 * 60_000); // past the failure window of LOGIN_MAX_FAILURES
      assert.equal(
        (await secondStep(await firstStep(email), totpCode(secret, clock.now()))).status,
        200,
      );
    });

    test("wrong codes count toward the account's login throttling", TIMEOUT, async () => {
      const { email, secret } = await withTotp();
      const wrong = totpCode(secret, clock.now()) === "000000" ? "111111" : "000000";
      // LOGIN_MAX_FAILURES is 8: four tokens with two wrong codes each, and
      // new tokens do not buy new guesses.
      for (let i = 0; i < 4; i++) {
        const token = await firstStep(email);
        for (let j = 0; j < 2; j++) assert.equal((await secondStep(token, wrong)).status, 401);
      }
      const token = await request(url(), "POST", "/sessions", {
        json: { email, password: PASSWORD },
      });
      assert.equal(token.status, 429, "the password alone is throttled");
      assert.ok(Number(token.headers.get("retry-after")) > 0);
      clock.advance(24 * 60 * 60_000);
      nextStep();
      assert.equal(
        (await secondStep(await firstStep(email), totpCode(secret, clock.now()))).status,
        200,
      );
    });

    test("a password reset leaves the factor on and logs nobody in", TIMEOUT, async () => {
      const { email, secret } = await withTotp();
      const asked = await request(url(), "POST", "/reset_password", { form: { email } });
      const resetToken = (asked.body as { reset_token: string }).reset_token;
      const reset = await request(url(), "PUT", "/reset_password", {
        form: { email, reset_token: resetToken, new_password: "n3w-pass" },
      });
      assert.equal(reset.status, 200, reset.text);
      assert.equal(sessionCookieOf(reset), undefined);
      const r = await request(url(), "POST", "/sessions", {
        form: { email, password: "n3w-pass" },
      });
      assert.equal(r.status, 401);
      assert.equal((r.body as { error: string }).error, "mfa_required");
      const token = (r.body as { mfa_token: string }).mfa_token;
      assert.equal((await secondStep(token, totpCode(secret, clock.now()))).status, 200);
    });
  });
}
