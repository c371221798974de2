import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, type TestResponse } from "../helpers/http.js";
import { alertOf, assertPrivatePage, noticeOf } from "../helpers/pages.js";
import { startTestApp, type TestServer } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

// What /account/register and the refused login say with EMAIL_VERIFICATION=
// required: no "you can log in now" when the login will be refused, and in
// development (where nothing is mailed) where the link shows up instead.

const TIMEOUT = { timeout: 60_000 };

/** The login page's "Send a new link" for this email, as registration and the refusal show it. */
function assertResendForm(page: TestResponse, email: string): void {
  assert.match(page.text, /<form method="post" action="\/account\/verification">/);
  assert.match(page.text, new RegExp(`<input type="hidden" name="email" value="${email}">`));
  assert.match(page.text, /<button type="submit" class="secondary">Send a new link<\/button>/);
}

describe("registration with EMAIL_VERIFICATION=required, in development", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp({ EMAIL_VERIFICATION: "required" });
  });
  after(async () => {
    await server?.close();
  });
  const post = (path: string, form: Record<string, string>) =>
    request(server.url, "POST", path, { form });

  test(
    "the page says the address comes first, and where development puts the link",
    TIMEOUT,
    async () => {
      const email = "dev-register@example.com";
      const page = await post("/account/register", { email, password: "b4l0u" });
      assert.equal(page.status, 200);
      assertPrivatePage(page, "registered");
      assert.equal(
        noticeOf(page),
        "Account created. Verify your address before you log in. Development mode mails no link: Send a new link shows one on this page.",
      );
      assert.doesNotMatch(page.text, /log in now/);
      assert.deepEqual(page.headers.getSetCookie(), []);
      assertResendForm(page, email);
      // What the notice promises: the button shows the link.
      const sent = await post("/account/verification", { email });
      assert.match(sent.text, /id="verification-link" href="\/account\/verify\?token=[\w-]{43}"/);
    },
  );

  test("the refused login says no link was mailed, and how to get one", TIMEOUT, async () => {
    const email = "dev-refused@example.com";
    await post("/account/register", { email, password: "b4l0u" });
    const refused = await post("/account/login", { email, password: "b4l0u" });
    assert.equal(refused.status, 403);
    assert.equal(
      alertOf(refused),
      "Verify your email address first. Development mode mails no link: Send a new link shows one on this page.",
    );
    assertResendForm(refused, email);

    const api = await request(server.url, "POST", "/sessions", {
      json: { email, password: "b4l0u" },
    });
    assert.equal(api.status, 403);
    assert.deepEqual(api.body, {
      error: "email_not_verified",
      message:
        "verify your email address first: development mode mails no link; ask for a new one, and its token comes back in the answer",
    });
    // ... as it does.
    const asked = await request(server.url, "POST", "/users/verification", { json: { email } });
    assert.match((asked.body as { verification_token: string }).verification_token, /^[\w-]{43}$/);
  });
});

describe("registration with EMAIL_VERIFICATION=required, in production", () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestApp({ ...productionMailEnv(smtp), EMAIL_VERIFICATION: "required" });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });
  const password = "correct horse battery staple";
  const post = (path: string, form: Record<string, string>) =>
    request(server.url, "POST", path, { form });

  test(
    "the page says to check the mail, with the resend form; the mail comes",
    TIMEOUT,
    async () => {
      const email = "prod-register@example.com";
      const page = await post("/account/register", { email, password });
      assert.equal(page.status, 200);
      assertPrivatePage(page, "registered");
      assert.equal(
        noticeOf(page),
        "Account created. Check your mail: follow the link we sent to verify your address, then log in. It works for 24 hours.",
      );
      assertResendForm(page, email);
      const mail = await smtp.waitForMail((received) => received.to.includes(email));
      assert.equal(mail.subject, "Verify your email address");

      const refused = await post("/account/login", { email, password });
      assert.equal(refused.status, 403);
      assert.equal(
        alertOf(refused),
        "Verify your email address first: follow the link mailed to it, or ask for a new one.",
      );
      const api = await request(server.url, "POST", "/sessions", { json: { email, password } });
      assert.equal(
        (api.body as { message: string }).message,
        "verify your email address first: follow the link mailed to it, or ask for a new one",
      );
    },
  );
});
