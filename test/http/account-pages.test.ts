import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, sessionCookieOf, type TestResponse } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

const PAGES = ["/account/register", "/account/login", "/account/forgot", "/account/reset?token=x"];

function alertOf(response: TestResponse): string | undefined {
  return /role="alert">([^<]*)</.exec(response.text)?.[1];
}

describe("hosted pages (development mode)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  test("every page is HTML with labelled fields, a submit button, no inline script or style", async () => {
    for (const path of PAGES) {
      const r = await request(server.url, "GET", path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
      assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.doesNotMatch(
        r.text,
        /<script|<style|\sstyle=|\son[a-z]+=/i,
        `${path}: nothing inline`,
      );
      assert.match(r.text, /<button type="submit">/);
      for (const [, id] of r.text.matchAll(/<input id="([^"]+)"/g)) {
        assert.match(r.text, new RegExp(`<label for="${id}">`), `${path}: #${id} has a label`);
      }
    }
    const reset = await request(server.url, "GET", "/account/reset?token=abc");
    assert.match(reset.text, /name="new_password"/);
    assert.match(reset.text, /type="hidden" name="reset_token" value="abc"/);
    const css = await request(server.url, "GET", "/account/style.css");
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  });

  test("register, log in, account page, log out: redirects and cookies as a browser needs", async () => {
    const email = "pages@example.com";
    const refused = await request(server.url, "POST", "/account/register", {
      form: { email, password: "abc" },
    });
    assert.equal(refused.status, 400);
    assert.equal(alertOf(refused), "Password must be at least 5 characters.");
    assert.match(refused.text, /value="pages@example.com"/, "the email is kept");

    const registered = await request(server.url, "POST", "/account/register", {
      form: { email, password: "b4l0u" },
    });
    assert.equal(registered.status, 303);
    assert.equal(registered.headers.get("location"), "/account/login?done=registered");
    const again = await request(server.url, "POST", "/account/register", {
      form: { email, password: "b4l0u" },
    });
    assert.equal(alertOf(again), "This email is already registered.");

    const wrong = await request(server.url, "POST", "/account/login", {
      form: { email, password: "nope!" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(alertOf(wrong), "Wrong email or password.");
    const login = await request(server.url, "POST", "/account/login", {
      form: { email, password: "b4l0u" },
    });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/account");
    const cookie = `session_id=${sessionCookieOf(login)}`;

    const account = await request(server.url, "GET", "/account", { cookie });
    assert.equal(account.status, 200);
    assert.match(account.text, /<strong id="account-email">pages@example\.com<\/strong>/);
    assert.match(account.text, /this session/);

    const logout = await request(server.url, "POST", "/account/logout", { cookie });
    assert.equal(logout.status, 303);
    assert.equal(logout.headers.get("location"), "/account/login?done=logged-out");
    assert.ok(logout.headers.getSetCookie().some((line) => /^session_id=;.*Max-Age=0/.test(line)));
    const after = await request(server.url, "GET", "/account", { cookie });
    assert.equal(after.status, 303, "the session is over on the server");
    assert.equal(after.headers.get("location"), "/account/login");
  });

  test("revoking another session from the account page leaves this one alive", async () => {
    const email = "two-devices@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const loginAs = async (agent: string) =>
      `session_id=${sessionCookieOf(
        await request(server.url, "POST", "/account/login", {
          form: { email, password: "b4l0u" },
          headers: { "user-agent": agent },
        }),
      )}`;
    const laptop = await loginAs("laptop");
    const phone = await loginAs("phone");
    const page = await request(server.url, "GET", "/account", { cookie: laptop });
    const revokeAction = /action="(\/account\/sessions\/[^/"]+\/revoke)"/.exec(page.text)?.[1];
    assert.ok(revokeAction, "one revoke button, for the other session");
    assert.equal([...page.text.matchAll(/\/revoke"/g)].length, 1);
    const revoked = await request(server.url, "POST", revokeAction, { cookie: laptop });
    assert.equal(revoked.headers.get("location"), "/account?done=revoked");
    assert.equal((await request(server.url, "GET", "/account", { cookie: phone })).status, 303);
    assert.equal((await request(server.url, "GET", "/account", { cookie: laptop })).status, 200);
  });

  test("forgot and reset: development hands the link back; the reset page sets the password", async () => {
    const email = "forgetful@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const forgot = await request(server.url, "POST", "/account/forgot", { form: { email } });
    const link = /id="reset-link" href="([^"]+)"/.exec(forgot.text)?.[1] ?? "";
    assert.ok(link.startsWith("/account/reset?token="));
    const token = new URL(link, server.url).searchParams.get("token") ?? "";
    const bad = await request(server.url, "POST", "/account/reset", {
      form: { email: "other@example.com", reset_token: token, new_password: "n3w-pass" },
    });
    assert.equal(bad.status, 403);
    assert.equal(alertOf(bad), "Reset token was not issued to this email.");
    const done = await request(server.url, "POST", "/account/reset", {
      form: { email, reset_token: token, new_password: "n3w-pass" },
    });
    assert.equal(done.headers.get("location"), "/account/login?done=reset");
    const login = await request(server.url, "POST", "/sessions", {
      form: { email, password: "n3w-pass" },
    });
    assert.equal(login.status, 200);
    const unknown = await request(server.url, "POST", "/account/forgot", {
      form: { email: "nobody@example.com" },
    });
    assert.equal(unknown.status, 403, "development mode says so, as the API does");
  });

  test("what a user types comes back escaped, never as markup", async () => {
    const hostile = `"><script>alert(1)</script>@x.y`;
    const r = await request(server.url, "POST", "/account/login", {
      form: { email: hostile, password: "whatever" },
    });
    assert.doesNotMatch(r.text, /<script>/);
    assert.match(r.text, /&quot;&gt;&lt;script&gt;/);
    const notice = await request(server.url, "GET", "/account/login?done=%3Cb%3Ehi");
    assert.doesNotMatch(notice.text, /<b>hi/, "unknown notice codes show nothing");
  });

  test("a cross-site form post is refused, as on the API", async () => {
    const r = await request(server.url, "POST", "/account/login", {
      form: { email: "x@example.com", password: "b4l0u" },
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    assert.equal(r.status, 403);
  });
});

describe("hosted pages (production mode)", () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({
      AUTH_MODE: "production",
      SMTP_URL: smtp.url,
      MAIL_FROM: "no-reply@example.test",
      PUBLIC_URL: "https://auth.example.test",
    });
  });
  after(async () => {
    await server.close();
    await smtp.close();
  });

  test("forgot: the same notice for any email, never a link on the page; the mail carries it", async () => {
    const email = "prod-pages@example.com";
    await request(server.url, "POST", "/users", {
      form: { email, password: "a good passphrase" },
    });
    const known = await request(server.url, "POST", "/account/forgot", { form: { email } });
    const unknown = await request(server.url, "POST", "/account/forgot", {
      form: { email: "nobody@example.com" },
    });
    assert.equal(known.status, 200);
    assert.equal(known.text, unknown.text, "the very same page");
    assert.doesNotMatch(known.text, /reset-link|token=/);
    const mail = await smtp.waitForMail((m) => m.to.includes(email));
    assert.match(mail.text, /https:\/\/auth\.example\.test\/account\/reset\?token=/);
  });

  test("weak passwords are refused on the register page with the policy's words", async () => {
    const r = await request(server.url, "POST", "/account/register", {
      form: { email: "weak@example.com", password: "password123" },
    });
    assert.equal(r.status, 400);
    assert.match(alertOf(r) ?? "", /most common passwords/);
  });
});
