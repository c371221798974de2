import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { manualClock } from "../../helpers/clock.js";
import { testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf, type TestResponse } from "../../helpers/http.js";
import { linkIn, type ProductionFixture, startProduction } from "../../helpers/production.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  productionMailEnv,
  type ReceivedMail,
  resetLinkOf,
  startSmtpServer,
  type TestSmtpServer,
} from "../../helpers/smtp.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "correct horse battery staple";
const VERIFY_SUBJECT = "Verify your email address";
const CHANGE_SUBJECT = "Confirm your new email address";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Verified addresses and email changes in production (EMAIL_VERIFICATION
 * required, production's default): links go by mail (the in-process SMTP
 * server), never in an answer; on each database.
 */
for (const factory of await testDatabases()) {
  describe(`email verification in production on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const clock = manualClock(Date.now());
    let production: ProductionFixture;
    let users = 0;
    const url = () => production.url;

    before(async () => {
      if ("skip" in factory) return;
      production = await startProduction(
        factory,
        {
          // No request limits: the timing test asks for many links.
          RESET_MAX_PER_EMAIL: "0",
          RESET_MAX_PER_EMAIL_AND_IP: "0",
          RESET_MAX_PER_IP: "0",
        },
        { now: clock.now },
      );
    });
    after(async () => production?.close());

    const login = (email: string, password = PASSWORD) =>
      request(url(), "POST", "/sessions", { json: { email, password } });
    const mailsTo = (email: string, subject: string) => production.mailsTo(email, subject);
    const nthMail = (email: string, subject: string, n = 1) =>
      production.nthMail(email, subject, n);
    const sent = () => production.sent();

    async function registered(): Promise<{ email: string; mail: ReceivedMail }> {
      const email = `prod-user${++users}@example.com`;
      const r = await request(url(), "POST", "/users", { json: { email, password: PASSWORD } });
      assert.equal(r.status, 200, r.text);
      return { email, mail: await nthMail(email, VERIFY_SUBJECT) };
    }

    async function verifiedUser(): Promise<{ email: string; cookie: string }> {
      const email = `prod-user${++users}@example.com`;
      await production.verifiedUser(email, PASSWORD);
      return { email, cookie: await production.logIn(email, PASSWORD) };
    }

    test(
      "registering mails a link; opening it verifies nothing, its button does",
      TIMEOUT,
      async () => {
        const { email, mail } = await registered();
        assert.deepEqual(mail.to, [email]);
        const link = linkIn(mail, "/account/verify");
        const refused = await login(email);
        assert.equal(refused.status, 403);
        assert.equal((refused.body as { error: string }).error, "email_not_verified");
        assert.equal(sessionCookieOf(refused), undefined);

        // What a mail scanner does: fetch the link, twice. Nothing changes.
        for (let i = 0; i < 2; i++) {
          const page = await request(url(), "GET", link.path);
          assert.equal(page.status, 200);
          assert.equal(page.headers.get("cache-control"), "no-store");
          assert.match(page.text, /<form method="post" action="\/account\/verify">/);
        }
        assert.equal((await login(email)).status, 403);

        // The page's button. The refused logins above came within ten minutes of
        // the registration's link, so they mailed none (a new one would void it).
        const pressed = await request(url(), "POST", "/account/verify", {
          form: { token: link.token },
        });
        assert.equal(pressed.status, 303);
        assert.equal(pressed.headers.get("location"), "/account/login?done=verified-log-in");
        const ok = await login(email);
        assert.equal(ok.status, 200, ok.text);
        const profile = await request(url(), "GET", "/profile", {
          cookie: `session_id=${sessionCookieOf(ok)}`,
        });
        assert.deepEqual(profile.body, { email, email_verified: true });
        await sent();
        assert.equal(mailsTo(email, VERIFY_SUBJECT).length, 1, "one link in all");
      },
    );

    test("a refused login mails a new link, at most one per 10 minutes", TIMEOUT, async () => {
      const { email, mail } = await registered();
      const first = linkIn(mail, "/account/verify");
      assert.equal((await login(email)).status, 403);
      await sent();
      assert.equal(mailsTo(email, VERIFY_SUBJECT).length, 1, "the registration's link is recent");

      clock.advance(11 * 60_000);
      assert.equal((await login(email)).status, 403);
      const second = linkIn(await nthMail(email, VERIFY_SUBJECT, 2), "/account/verify");
      assert.notEqual(second.token, first.token);
      assert.equal((await login(email)).status, 403);
      await sent();
      assert.equal(mailsTo(email, VERIFY_SUBJECT).length, 2, "not again within 10 minutes");

      // A newer link leaves the one already mailed working (anyone may ask
      // for a new link for any address); the first completed voids the rest.
      const old = await request(url(), "POST", "/users/verify", { json: { token: first.token } });
      assert.deepEqual(old.body, { email, message: "email verified" });
      const done = await request(url(), "POST", "/users/verify", { json: { token: second.token } });
      assert.equal(done.status, 400, "verified: the other link is void");
      assert.equal((await login(email)).status, 200);
    });

    test("a new link: one answer, in about the same time, for any email", TIMEOUT, async () => {
      const emails = {
        unverified: (await registered()).email,
        verified: (await verifiedUser()).email,
        unknown: `prod-nobody${users}@example.com`,
      };
      const times: Record<string, number[]> = { unverified: [], verified: [], unknown: [] };
      const answers = new Set<string>();
      // Interleaved, so load on the machine falls on each kind alike; the first round warms up.
      for (let round = 0; round <= 10; round++) {
        for (const [kind, email] of Object.entries(emails)) {
          const start = performance.now();
          const r = await request(url(), "POST", "/users/verification", { json: { email } });
          const elapsed = performance.now() - start;
          assert.equal(r.status, 200, `${kind}: ${r.text}`);
          answers.add(JSON.stringify({ ...(r.body as object), email: "EMAIL" }));
          assert.equal((r.body as { email: string }).email, email);
          if (round > 0) times[kind]?.push(elapsed);
        }
      }
      assert.deepEqual(
        [...answers],
        [
          JSON.stringify({
            email: "EMAIL",
            message: "if this email has an unverified account, a verification link is on its way",
          }),
        ],
      );
      const medians = Object.values(times).map(median);
      const [fastest, slowest] = [Math.min(...medians), Math.max(...medians)];
      assert.ok(
        slowest <= fastest * 3 || slowest - fastest <= 50,
        `medians (ms) unverified, verified, unknown: ${medians.map((m) => m.toFixed(1))}`,
      );
      await sent();
      assert.equal(mailsTo(emails.verified, VERIFY_SUBJECT).length, 1, "verified: no new link");
      assert.ok(mailsTo(emails.unverified, VERIFY_SUBJECT).length > 1, "unverified: new links");
    });

    test("a reset from a mailed link proves the address: login works after", TIMEOUT, async () => {
      const { email } = await registered();
      const asked = await request(url(), "POST", "/reset_password", { json: { email } });
      assert.equal(asked.status, 200);
      const mail = await production.smtp.waitForMail(
        (m) => m.to.includes(email) && /reset/i.test(m.subject),
      );
      const { token } = resetLinkOf(mail);
      const newPassword = "a fresh and long passphrase";
      const reset = await request(url(), "PUT", "/reset_password", {
        json: { email, reset_token: token, new_password: newPassword },
      });
      assert.equal(reset.status, 200, reset.text);
      const ok = await login(email, newPassword);
      assert.equal(ok.status, 200, "no verification link followed: the reset mail proved it");
      const profile = await request(url(), "GET", "/profile", {
        cookie: `session_id=${sessionCookieOf(ok)}`,
      });
      assert.deepEqual(profile.body, { email, email_verified: true });
    });

    test("an email change: a link to the new address, notices to the old", TIMEOUT, async () => {
      const { email, cookie } = await verifiedUser();
      const newEmail = `prod-moved${users}@example.com`;
      const asked = await request(url(), "PUT", "/profile/email", {
        cookie,
        json: { new_email: newEmail, password: PASSWORD },
      });
      assert.equal(asked.status, 202, asked.text);
      assert.equal((asked.body as { confirmation_token?: string }).confirmation_token, undefined);
      const link = linkIn(await nthMail(newEmail, CHANGE_SUBJECT), "/account/email/confirm");
      const notice = await nthMail(email, "A change of your email address was asked for");
      assert.match(notice.text, /Nothing changes unless the new address confirms it/);
      assert.match(notice.html ?? "", /Nothing changes unless the new address confirms it/);

      assert.equal((await request(url(), "GET", link.path)).status, 200);
      const before = await request(url(), "GET", "/profile", { cookie });
      assert.deepEqual(before.body, { email, email_verified: true }, "a GET changes nothing");

      const pressed = await request(url(), "POST", "/account/email/confirm", {
        cookie,
        form: { token: link.token },
      });
      assert.equal(pressed.status, 303);
      assert.equal(pressed.headers.get("location"), "/account?done=email-changed");
      const now = await request(url(), "GET", "/profile", { cookie });
      assert.deepEqual(now.body, { email: newEmail, email_verified: true });
      const done = await nthMail(email, "Your email address was changed");
      assert.match(done.text, /This address no longer signs in/);
      assert.equal((await login(email)).status, 401);
      assert.equal((await login(newEmail)).status, 200);
    });

    test("two users confirming changes to one address at once: 200 and 409", TIMEOUT, async () => {
      const target = `prod-contested${users}@example.com`;
      for (const { cookie } of [await verifiedUser(), await verifiedUser()]) {
        const r = await request(url(), "PUT", "/profile/email", {
          cookie,
          json: { new_email: target, password: PASSWORD },
        });
        assert.equal(r.status, 202, r.text);
      }
      await nthMail(target, CHANGE_SUBJECT, 2);
      const tokens = mailsTo(target, CHANGE_SUBJECT).map(
        (mail) => linkIn(mail, "/account/email/confirm").token,
      );
      const results = await Promise.all(
        tokens.map((token) =>
          request(url(), "POST", "/profile/email/confirm", { json: { token } }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
      const loser = results.find((r) => r.status === 409);
      assert.equal((loser?.body as { error?: string } | undefined)?.error, "email_taken");
      assert.equal((await login(target)).status, 200, "the winner signs in with it");
    });
  });
}

const alertOf = (r: TestResponse) => /role="alert">([^<]*)</.exec(r.text)?.[1] ?? "";
const noticeOf = (r: TestResponse) => /role="status">([^<]*)</.exec(r.text)?.[1] ?? "";

/**
 * The hosted pages' new links in production (SQLite; the pages run the same
 * domain calls on either database): mailed, never shown, one page for any
 * email, throttled with Retry-After. Optional, so an unverified user signs in
 * and sees /account's banner.
 */
describe("hosted pages of verified addresses in production", () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({
      ...productionMailEnv(smtp),
      EMAIL_VERIFICATION: "optional",
      RESET_MAX_PER_EMAIL_AND_IP: "2",
    });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });
  const post = (path: string, form: Record<string, string> = {}, cookie?: string) =>
    request(server.url, "POST", path, { form, cookie });
  const get = (path: string, cookie?: string) => request(server.url, "GET", path, { cookie });
  const mailsTo = (email: string) => smtp.mails.filter((mail) => mail.to.includes(email)).length;

  test("a new link from the login page: one page for any email; throttled", TIMEOUT, async () => {
    const email = "prod-unverified@example.com";
    await post("/users", { email, password: PASSWORD });
    await smtp.waitForMail((mail) => mail.to.includes(email));
    const answers: string[] = [];
    for (const typed of [email, "prod-nobody@example.com"]) {
      const r = await post("/account/verification", { email: typed });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.doesNotMatch(r.text, /token=|verification-link/, "never a link on the page");
      answers.push(r.text.replaceAll(typed, "EMAIL"));
    }
    assert.equal(answers[0], answers[1], "the very same page, but for the email typed");
    assert.match(answers[0] ?? "", /If this email has an account whose address is not verified/);
    await smtp.waitForMail(() => mailsTo(email) >= 2);

    for (const typed of [email, "prod-nobody@example.com"]) {
      await post("/account/verification", { email: typed });
      const throttled = await post("/account/verification", { email: typed });
      assert.equal(throttled.status, 429, typed);
      assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
      assert.match(alertOf(throttled), /Too many verification requests/);
      assert.match(throttled.text, /<input id="email"[^>]*aria-invalid="true"[^>]*autofocus>/);
    }
  });

  test("the banner's link and the change's are mailed: notices, throttling", TIMEOUT, async () => {
    const email = "prod-banner@example.com";
    await post("/users", { email, password: PASSWORD });
    const login = await post("/account/login", { email, password: PASSWORD });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const sent = await post("/account/verification", {}, cookie);
    assert.equal(sent.headers.get("location"), "/account?done=verification-sent");
    const page = await get("/account?done=verification-sent", cookie);
    assert.match(noticeOf(page), /A new verification link was mailed to your address/);
    await post("/account/verification", {}, cookie);
    const throttled = await post("/account/verification", {}, cookie);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
    assert.match(alertOf(throttled), /Too many verification requests/);
    assert.match(throttled.text, /id="account-email">prod-banner@example\.com</);

    const form = { new_email: "prod-banner-new@example.com", email_password: PASSWORD };
    const asked = await post("/account/email", form, cookie);
    assert.equal(asked.headers.get("location"), "/account?done=email-change-sent");
    const notice = await get("/account?done=email-change-sent", cookie);
    assert.match(noticeOf(notice), /A confirmation link was mailed to the new address/);
    assert.doesNotMatch(notice.text, /confirmation-link|token=/);
    await smtp.waitForMail((mail) => mail.to.includes("prod-banner-new@example.com"));
  });
});
