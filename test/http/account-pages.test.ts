import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REAUTH_MAX_FAILURES } from "../../src/core/password-change.js";
import { ICON_PATH } from "../../src/platform/pages/icon.js";
import { STYLESHEET } from "../../src/platform/pages/style.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { alertOf, assertNothingInline, focusedFields, inputTag, mainOf } from "../helpers/pages.js";
import { startTestApp, type TestServer } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

const PAGES = ["/account/register", "/account/login", "/account/forgot", "/account/reset?token=x"];

/** WCAG 2.x contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

describe("hosted pages (development mode)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp();
  });
  after(async () => server.close());

  test("every page is HTML with labelled fields, a submit button, no inline script or style", async () => {
    for (const path of PAGES) {
      const r = await request(server.url, "GET", path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
      assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assertNothingInline(r.text, `${path}: nothing inline`);
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

  test("each page's navigation leaves out the page itself", { timeout: 30_000 }, async () => {
    for (const path of ["/account/register", "/account/login", "/account/forgot"]) {
      const r = await request(server.url, "GET", path);
      const nav = /<nav[^>]*>([\s\S]*?)<\/nav>/.exec(r.text)?.[1] ?? "";
      assert.doesNotMatch(nav, new RegExp(`href="${path}"`), `${path} links to itself`);
      assert.equal([...nav.matchAll(/<a href=/g)].length, 2, `${path}: the two others`);
    }
  });

  test("hint text meets WCAG AA contrast (4.5:1) on white", { timeout: 30_000 }, () => {
    const hint = /\.hint \{ color: (#[0-9a-f]{6});/i.exec(STYLESHEET)?.[1] ?? "";
    assert.ok(hint, "the hint has a colour");
    assert.ok(
      contrast(hint, "#ffffff") >= 4.5,
      `${hint} is ${contrast(hint, "#ffffff").toFixed(2)}:1`,
    );
  });

  test("an icon for every page, kept long; /favicon.ico answers too", {
    timeout: 30_000,
  }, async () => {
    const login = await request(server.url, "GET", "/account/login");
    assert.match(
      login.text,
      new RegExp(`<link rel="icon" type="image/svg\\+xml" href="${ICON_PATH}">`),
    );
    for (const [path, maxAge] of [
      [ICON_PATH, 31_536_000],
      ["/favicon.ico", 604_800],
    ] as const) {
      const icon = await request(server.url, "GET", path);
      assert.equal(icon.status, 200, path);
      assert.equal(icon.headers.get("content-type"), "image/svg+xml", path);
      assert.match(icon.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, path);
      assert.equal(icon.headers.get("cache-control")?.includes(`max-age=${maxAge}`), true, path);
      assert.equal(icon.headers.get("content-security-policy"), "default-src 'none'", path);
    }
  });

  test("after an error the field in error takes the focus, marked invalid and described by the message", {
    timeout: 30_000,
  }, async () => {
    const email = "focus@example.com";
    const fresh = await request(server.url, "GET", "/account/register");
    assert.deepEqual(focusedFields(fresh), ["email"], "a fresh form starts at the email");

    const short = await request(server.url, "POST", "/account/register", {
      form: { email, password: "abc" },
    });
    assert.deepEqual(focusedFields(short), ["password"], "a refused password");
    assert.match(inputTag(short, "password"), /aria-invalid="true"/);
    assert.match(inputTag(short, "password"), /aria-describedby="page-error password-hint"/);
    assert.match(short.text, /id="page-error" role="alert"/);
    assert.doesNotMatch(inputTag(short, "email"), /aria-invalid/);

    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const taken = await request(server.url, "POST", "/account/register", {
      form: { email, password: "b4l0u" },
    });
    assert.deepEqual(focusedFields(taken), ["email"], "a taken email");
    assert.match(inputTag(taken, "email"), /aria-invalid="true"/);

    const wrong = await request(server.url, "POST", "/account/login", {
      form: { email, password: "nope!" },
    });
    assert.deepEqual(
      focusedFields(wrong),
      ["password"],
      "the email is kept: type the password again",
    );

    const badEmail = await request(server.url, "POST", "/account/forgot", {
      form: { email: "nobody@example.com" },
    });
    assert.deepEqual(focusedFields(badEmail), ["email"]);
    assert.match(inputTag(badEmail, "email"), /aria-invalid="true"/);
  });

  test("the reset page asks only for the new password: the token names the account", {
    timeout: 30_000,
  }, async () => {
    const email = "token-only@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const forgot = await request(server.url, "POST", "/account/forgot", { form: { email } });
    const link = /id="reset-link" href="([^"]+)"/.exec(forgot.text)?.[1] ?? "";
    const page = await request(server.url, "GET", link);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /name="email"/);
    assert.deepEqual(focusedFields(page), ["new_password"]);
    const token = new URL(link, server.url).searchParams.get("token") ?? "";

    const weak = await request(server.url, "POST", "/account/reset", {
      form: { reset_token: token, new_password: "abc" },
    });
    assert.equal(weak.status, 400);
    assert.deepEqual(focusedFields(weak), ["new_password"]);
    assert.match(inputTag(weak, "new_password"), /aria-invalid="true"/);

    const done = await request(server.url, "POST", "/account/reset", {
      form: { reset_token: token, new_password: "n3w-pass" },
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), "/account/login?done=reset");
    const login = await request(server.url, "POST", "/sessions", {
      form: { email, password: "n3w-pass" },
    });
    assert.equal(login.status, 200);

    // The link works once: the page then says so and offers a new one, with no form to fill in vain.
    const again = await request(server.url, "POST", "/account/reset", {
      form: { reset_token: token, new_password: "n3w-pass-2" },
    });
    assert.equal(again.status, 403);
    assert.match(alertOf(again) ?? "", /does not work any more/);
    assert.match(again.text, /<a href="\/account\/forgot">Ask for a new reset link<\/a>/);
    assert.doesNotMatch(mainOf(again), /<form/);
  });

  test("the reset page without a token says so and links to a new request instead of a form", {
    timeout: 30_000,
  }, async () => {
    for (const path of ["/account/reset", "/account/reset?token="]) {
      const r = await request(server.url, "GET", path);
      assert.equal(r.status, 400, path);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(alertOf(r) ?? "", /needs the link from your reset mail/, path);
      assert.match(r.text, /<a href="\/account\/forgot">Ask for a new reset link<\/a>/, path);
      assert.doesNotMatch(mainOf(r), /<form|<input/, path);
    }
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

  test("sign out of all other sessions: every other one ends, this one lives on", {
    timeout: 30_000,
  }, async () => {
    const email = "many-devices@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const loginAs = async (agent: string) =>
      `session_id=${sessionCookieOf(
        await request(server.url, "POST", "/sessions", {
          form: { email, password: "b4l0u" },
          headers: { "user-agent": agent },
        }),
      )}`;
    const laptop = await loginAs("laptop");
    const others = [await loginAs("phone"), await loginAs("tablet")];
    const page = await request(server.url, "GET", "/account", { cookie: laptop });
    assert.match(page.text, /<form method="post" action="\/account\/sessions\/revoke-others">/);

    const crossSite = await request(server.url, "POST", "/account/sessions/revoke-others", {
      cookie: laptop,
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    assert.equal(crossSite.status, 403, "refused cross-site, as every form");
    assert.equal((await request(server.url, "GET", "/account", { cookie: others[0] })).status, 200);

    const done = await request(server.url, "POST", "/account/sessions/revoke-others", {
      cookie: laptop,
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), "/account?done=others-revoked");
    for (const cookie of others)
      assert.equal((await request(server.url, "GET", "/account", { cookie })).status, 303);
    const after = await request(server.url, "GET", "/account?done=others-revoked", {
      cookie: laptop,
    });
    assert.equal(after.status, 200);
    assert.match(after.text, /role="status">Every other session has ended\./);
    assert.doesNotMatch(after.text, /revoke-others/, "no button with nothing to end");
    const none = await request(server.url, "POST", "/account/sessions/revoke-others", {
      cookie: laptop,
    });
    assert.equal(none.headers.get("location"), "/account?done=no-others");
    const anonymous = await request(server.url, "POST", "/account/sessions/revoke-others");
    assert.equal(anonymous.headers.get("location"), "/account/login");

    await server.service.audit.flush();
    const revoked = (await server.service.audit.list({ email })).filter(
      (entry) => entry.event === "sessions_revoked",
    );
    assert.equal(revoked.length, 2, "one row per sign-out of the others (the second ended none)");
  });

  test("change password from the account page: each outcome on the page", {
    timeout: 30_000,
  }, async () => {
    const email = "changer@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const loginAs = async (password: string) =>
      `session_id=${sessionCookieOf(
        await request(server.url, "POST", "/sessions", { form: { email, password } }),
      )}`;
    const here = await loginAs("b4l0u");
    const elsewhere = await loginAs("b4l0u");
    const page = await request(server.url, "GET", "/account", { cookie: here });
    assert.match(page.text, /<form class="stacked" method="post" action="\/account\/password">/);
    assert.match(page.text, /autocomplete="username" value="changer@example\.com" hidden/);
    assert.deepEqual(focusedFields(page), [], "no field steals the focus on arrival");
    const change = (current: string, next: string, headers?: Record<string, string>) =>
      request(server.url, "POST", "/account/password", {
        form: { current_password: current, new_password: next },
        cookie: here,
        headers,
      });

    const crossSite = await change("b4l0u", "n3w-pass", {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    });
    assert.equal(crossSite.status, 403);
    assert.doesNotMatch(crossSite.text, /<html/, "refused before the page");

    const wrong = await change("not it", "n3w-pass");
    assert.equal(wrong.status, 403);
    assert.equal(alertOf(wrong), "The current password is not right.");
    assert.deepEqual(focusedFields(wrong), ["current_password"]);
    assert.match(inputTag(wrong, "current_password"), /aria-invalid="true"/);
    assert.match(wrong.text, /id="account-email">changer@example\.com/, "the account page again");

    const weak = await change("b4l0u", "abc");
    assert.equal(weak.status, 400);
    assert.equal(alertOf(weak), "Password must be at least 5 characters.");
    assert.deepEqual(focusedFields(weak), ["new_password"]);

    const changed = await change("b4l0u", "n3w-pass");
    assert.equal(changed.status, 303);
    assert.equal(changed.headers.get("location"), "/account?done=password-changed");
    const after = await request(server.url, "GET", "/account?done=password-changed", {
      cookie: here,
    });
    assert.match(after.text, /role="status">Password changed\. Your other sessions have ended\./);
    assert.equal((await request(server.url, "GET", "/account", { cookie: elsewhere })).status, 303);
    assert.equal(
      (await request(server.url, "POST", "/sessions", { form: { email, password: "n3w-pass" } }))
        .status,
      200,
    );

    const signedOut = await request(server.url, "POST", "/account/password", {
      form: { current_password: "n3w-pass", new_password: "other-pass" },
    });
    assert.equal(signedOut.headers.get("location"), "/account/login", "no session: log in first");
  });

  test("change password: too many wrong current passwords end the session, and the login page says so", {
    timeout: 30_000,
  }, async () => {
    const form = { email: "guessing-page@example.com", password: "b4l0u" };
    await request(server.url, "POST", "/users", { form });
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    const guess = (i: number) =>
      request(server.url, "POST", "/account/password", {
        form: { current_password: `guess ${i}`, new_password: "n3w-pass" },
        cookie,
      });
    for (let i = 1; i < REAUTH_MAX_FAILURES; i++) assert.equal((await guess(i)).status, 403);
    const last = await guess(REAUTH_MAX_FAILURES);
    assert.equal(last.status, 303);
    assert.equal(last.headers.get("location"), "/account/login?done=session-ended");
    assert.ok(last.headers.getSetCookie().some((line) => /^session_id=;.*Max-Age=0/.test(line)));
    const login = await request(server.url, "GET", "/account/login?done=session-ended");
    assert.match(
      login.text,
      /role="status">Too many wrong current passwords: that session has ended/,
    );
    assert.equal((await request(server.url, "GET", "/account", { cookie })).status, 303);
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
    server = await startTestApp({
      ...productionMailEnv(smtp),
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

    // The mailed link's page sets the password with the token alone.
    const link = new URL(
      /https:\/\/\S+\/account\/reset\?token=[^\s>")]+/.exec(mail.text)?.[0] ?? "",
    );
    const page = await request(server.url, "GET", `${link.pathname}${link.search}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /name="email"/);
    const done = await request(server.url, "POST", "/account/reset", {
      form: {
        reset_token: link.searchParams.get("token") ?? "",
        new_password: "a newer passphrase",
      },
    });
    assert.equal(done.headers.get("location"), "/account/login?done=reset");
    const login = await request(server.url, "POST", "/sessions", {
      form: { email, password: "a newer passphrase" },
    });
    assert.equal(login.status, 200);
  });

  test("weak passwords are refused on the register page with the policy's words", async () => {
    const r = await request(server.url, "POST", "/account/register", {
      form: { email: "weak@example.com", password: "password123" },
    });
    assert.equal(r.status, 400);
    assert.match(alertOf(r) ?? "", /most common passwords/);
  });
});

describe("hosted pages: change password while login throttling locks the account", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp({ LOGIN_MAX_FAILURES: "2", LOGIN_LOCKOUT_BASE: "10m" });
  });
  after(async () => server.close());

  test("a locked account says so on the page, with Retry-After", { timeout: 30_000 }, async () => {
    const email = "locked-page@example.com";
    const form = { email, password: "b4l0u" };
    await request(server.url, "POST", "/users", { form });
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    // Wrong logins elsewhere lock the account; the change is refused before any hashing.
    for (let i = 0; i < 2; i++)
      await request(server.url, "POST", "/sessions", { form: { email, password: `guess ${i}` } });
    const locked = await request(server.url, "POST", "/account/password", {
      form: { current_password: form.password, new_password: "n3w-pass" },
      cookie,
    });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) >= 1);
    assert.match(alertOf(locked) ?? "", /Too many failed login attempts/);
    assert.deepEqual(focusedFields(locked), ["current_password"]);
  });
});
