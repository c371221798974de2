import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCliAsync } from "../../helpers/cli.js";
import { manualClock } from "../../helpers/clock.js";
import { testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import {
  CHANGE_SUBJECT,
  linkIn,
  type ProductionFixture,
  RESET_SUBJECT,
  startProduction,
} from "../../helpers/production.js";
import { resetLinkOf, TEST_SECRET_KEY } from "../../helpers/smtp.js";
import { turnOnTotp } from "../../helpers/totp.js";

const TIMEOUT = { timeout: 60_000 };
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new passphrase";
const IDLE_TIMEOUT_MS = 30 * 60_000;

/**
 * The takeover a penetration test found: an intruder with the password and a
 * session asks to move the account to their own address; the owner, warned
 * by the notice, takes the account back (a reset, a new password, ending
 * sessions), and the intruder then confirms the change with the link mailed
 * to them. Each way of taking the account back must void the pending change.
 * In production, with the links read from the mails, on each database.
 */
for (const factory of await testDatabases()) {
  describe(`an email change outlives nothing meant to stop it, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let prod: ProductionFixture;
    let owners = 0;
    // Moved only by the last test, past the idle timeout.
    const clock = manualClock(Date.now());
    before(async () => {
      prod = await startProduction(
        factory,
        { SESSION_IDLE_TIMEOUT: `${IDLE_TIMEOUT_MS / 60_000}m` },
        { now: clock.now },
      );
    });
    after(async () => {
      await prod?.close();
    });

    /** An owner, an intruder's session on the account, and the change the intruder asked for. */
    async function intruderAsked(): Promise<{
      email: string;
      ownerCookie: string;
      intruderCookie: string;
      intruderEmail: string;
      token: string;
    }> {
      const n = ++owners;
      const email = `owner${n}@example.com`;
      const intruderEmail = `intruder${n}@evil.example`;
      await prod.verifiedUser(email, PASSWORD);
      const ownerCookie = await prod.logIn(email, PASSWORD);
      const intruderCookie = await prod.logIn(email, PASSWORD);
      const asked = await request(prod.url, "PUT", "/profile/email", {
        cookie: intruderCookie,
        json: { new_email: intruderEmail, password: PASSWORD },
      });
      assert.equal(asked.status, 202, asked.text);
      const { token } = linkIn(
        await prod.nthMail(intruderEmail, CHANGE_SUBJECT),
        "/account/email/confirm",
      );
      return { email, ownerCookie, intruderCookie, intruderEmail, token };
    }

    /** The intruder follows the link: refused, and the account keeps its owner's address. */
    async function assertConfirmRefused(token: string, email: string, password: string) {
      const confirmed = await request(prod.url, "POST", "/profile/email/confirm", {
        json: { token },
      });
      assert.equal(confirmed.status, 400, confirmed.text);
      const cookie = await prod.logIn(email, password);
      const profile = await request(prod.url, "GET", "/profile", { cookie });
      assert.equal((profile.body as { email: string }).email, email);
    }

    test("untouched, the intruder's link would work (the attack is real)", TIMEOUT, async () => {
      const { token, intruderEmail } = await intruderAsked();
      const confirmed = await request(prod.url, "POST", "/profile/email/confirm", {
        json: { token },
      });
      assert.deepEqual(confirmed.body, { email: intruderEmail, message: "email changed" });
    });

    test("the owner's password reset voids the pending change", TIMEOUT, async () => {
      const { email, token } = await intruderAsked();
      await prod.resetPassword(email, NEW_PASSWORD);
      await assertConfirmRefused(token, email, NEW_PASSWORD);
    });

    test("the owner's password change voids it", TIMEOUT, async () => {
      const { email, ownerCookie, token } = await intruderAsked();
      const changed = await request(prod.url, "PUT", "/profile/password", {
        cookie: ownerCookie,
        json: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      });
      assert.equal(changed.status, 200, changed.text);
      await assertConfirmRefused(token, email, NEW_PASSWORD);
    });

    test("the owner's 'sign out of all other sessions' voids it", TIMEOUT, async () => {
      const { email, ownerCookie, token } = await intruderAsked();
      const signedOut = await request(prod.url, "POST", "/account/sessions/revoke-others", {
        cookie: ownerCookie,
      });
      assert.equal(signedOut.status, 303);
      await assertConfirmRefused(token, email, PASSWORD);
    });

    test("an operator ending the sessions through the admin API voids it", TIMEOUT, async () => {
      const { email, token } = await intruderAsked();
      const { key } = await prod.server.service.apiKeys.create({
        name: `ends-sessions-${owners}`,
        scopes: ["users:write"],
      });
      const user = await prod.server.service.db.findUserBy({ email });
      const ended = await request(prod.url, "DELETE", `/admin/users/${user.id}/sessions`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(ended.status, 200, ended.text);
      await assertConfirmRefused(token, email, PASSWORD);
    });

    test("an operator ending the sessions from the CLI voids it", TIMEOUT, async () => {
      const { email, token } = await intruderAsked();
      const cli = await runCliAsync(["user", "revoke-sessions", email], {
        DATABASE_URL: prod.server.databaseUrl,
        SECRET_KEY: TEST_SECRET_KEY,
        LOG_LEVEL: "silent",
      });
      assert.equal(cli.code, 0, cli.stderr);
      await assertConfirmRefused(token, email, PASSWORD);
    });

    test("the session that asked, once logged out, takes its change with it", TIMEOUT, async () => {
      const { email, intruderCookie, token } = await intruderAsked();
      const out = await request(prod.url, "DELETE", "/sessions", { cookie: intruderCookie });
      assert.equal(out.status, 303);
      await assertConfirmRefused(token, email, PASSWORD);
    });

    test("turning the second factor off voids a pending change", TIMEOUT, async () => {
      const n = ++owners;
      const email = `owner${n}@example.com`;
      await prod.verifiedUser(email, PASSWORD);
      const cookie = await prod.logIn(email, PASSWORD);
      const { recoveryCodes } = await turnOnTotp(prod.url, cookie, PASSWORD, clock.now());
      const [first, second] = recoveryCodes;
      const newEmail = `moved${n}@example.com`;
      const asked = await request(prod.url, "PUT", "/profile/email", {
        cookie,
        json: { new_email: newEmail, password: PASSWORD, code: first },
      });
      assert.equal(asked.status, 202, asked.text);
      const { token } = linkIn(
        await prod.nthMail(newEmail, CHANGE_SUBJECT),
        "/account/email/confirm",
      );
      const off = await request(prod.url, "DELETE", "/mfa/totp", {
        cookie,
        json: { password: PASSWORD, code: second },
      });
      assert.equal(off.status, 200, off.text);
      const confirmed = await request(prod.url, "POST", "/profile/email/confirm", {
        json: { token },
      });
      assert.equal(confirmed.status, 400, confirmed.text);
    });

    test("the owner's take-back racing the intruder's confirmation: one wins whole, never a 500", {
      timeout: 120_000,
    }, async () => {
      for (let round = 0; round < 8; round++) {
        const { email, token } = await intruderAsked();
        const asked = await request(prod.url, "POST", "/reset_password", { json: { email } });
        assert.equal(asked.status, 200);
        const { token: resetToken } = resetLinkOf(await prod.nthMail(email, RESET_SUBJECT));
        const [reset, confirmed] = await Promise.all([
          request(prod.url, "PUT", "/reset_password", {
            json: { email, reset_token: resetToken, new_password: NEW_PASSWORD },
          }),
          new Promise((resolve) => setTimeout(resolve, round % 4)).then(() =>
            request(prod.url, "POST", "/profile/email/confirm", { json: { token } }),
          ),
        ]);
        const statuses = [reset.status, confirmed.status];
        assert.ok(
          statuses.every((status) => status < 500),
          `round ${round}: ${statuses}`,
        );
        assert.equal(statuses.filter((status) => status === 200).length, 1, `round ${round}`);
      }
    });

    test("an asking session past its idle timeout takes its change with it", TIMEOUT, async () => {
      const { email, token } = await intruderAsked();
      clock.advance(IDLE_TIMEOUT_MS + 60_000);
      const confirmed = await request(prod.url, "POST", "/profile/email/confirm", {
        json: { token },
      });
      assert.equal(confirmed.status, 400, confirmed.text);
      assert.equal((await prod.server.service.db.findUserBy({ email })).email, email);
    });
  });
}
