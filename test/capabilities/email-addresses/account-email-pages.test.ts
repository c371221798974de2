import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REAUTH_MAX_FAILURES } from "../../../src/core/reauthentication.js";
import { manualClock } from "../../helpers/clock.js";
import {
  type RequestOptions,
  request,
  sessionCookieOf,
  type TestResponse,
} from "../../helpers/http.js";
import {
  alertOf,
  assertPrivatePage,
  focusedFields,
  inputTag,
  noticeOf,
} from "../../helpers/pages.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";

const PASSWORD = "b4l0u-mail";
const TIMEOUT = { timeout: 60_000 };
const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

/** The href of the link development shows in place of a mail (#verification-link, #confirmation-link). */
const linkOf = (r: TestResponse, id: string) =>
  new RegExp(`id="${id}" href="([^"]+)"`).exec(r.text)?.[1] ?? "";
const tokenOf = (path: string) => new URL(path, "http://x").searchParams.get("token") ?? "";

function has(r: TestResponse, ...patterns: RegExp[]): void {
  for (const pattern of patterns) assert.match(r.text, pattern);
}

/** A link's page: a button that posts the token; opening it changes nothing. */
function assertButtonPage(r: TestResponse, action: string, token: string): void {
  assert.equal(r.status, 200);
  assertPrivatePage(r, action);
  has(
    r,
    new RegExp(`<form method="post" action="${action}">`),
    new RegExp(`<input type="hidden" name="token" value="${token}">`),
    /<button type="submit">/,
  );
}

/** GET and form POSTs to one server. */
function client(on: () => TestServer) {
  return {
    get: (path: string, cookie?: string) => request(on().url, "GET", path, { cookie }),
    post: (
      path: string,
      form: Record<string, string> = {},
      cookie?: string,
      more?: RequestOptions,
    ) => request(on().url, "POST", path, { form, cookie, ...more }),
  };
}

describe("hosted pages of verified addresses and email changes (development)", () => {
  let server: TestServer;
  let optional: TestServer;
  let users = 0;
  before(async () => {
    server = await startTestApp({ EMAIL_VERIFICATION: "required" });
    optional = await startTestApp({ EMAIL_VERIFICATION: "optional" });
  });
  after(async () => {
    await server?.close();
    await optional?.close();
  });
  const { get, post } = client(() => server);
  const opt = client(() => optional);

  /** A new account, verified through the pages when `verified`; its session when it can log in. */
  async function account(on: TestServer, verified: boolean) {
    const { post } = client(() => on);
    const email = `page-user${++users}@example.com`;
    const registered = await post("/account/register", { email, password: PASSWORD });
    // Required: the page says so and offers a new link (200); optional: on to the login (303).
    assert.equal(registered.status, on === server ? 200 : 303);
    if (verified) {
      const sent = await post("/account/verification", { email });
      const token = tokenOf(linkOf(sent, "verification-link"));
      assert.equal((await post("/account/verify", { token })).status, 303);
    }
    const cookie = sessionCookieOf(await post("/account/login", { email, password: PASSWORD }));
    return { email, cookie: cookie ? `session_id=${cookie}` : undefined };
  }

  test("login refused unverified; a new link; its GET verifies nothing", TIMEOUT, async () => {
    const { email, cookie } = await account(server, false);
    assert.equal(cookie, undefined, "no session before the address is verified");
    const login = () => post("/account/login", { email, password: PASSWORD });
    const refused = await login();
    assert.equal(refused.status, 403);
    assert.match(alertOf(refused), /^Verify your email address first/);
    assert.deepEqual(refused.headers.getSetCookie(), []);
    assertPrivatePage(refused, "refused login");
    has(
      refused,
      /<form method="post" action="\/account\/verification">/,
      /<input type="hidden" name="email" value="page-user\d+@example\.com">/,
      /<button type="submit" class="secondary">Send a new link<\/button>/,
    );

    const sent = await post("/account/verification", { email });
    assert.equal(sent.status, 200);
    assertPrivatePage(sent, "development's link");
    assert.equal(noticeOf(sent), "A new verification link is ready.");
    const link = linkOf(sent, "verification-link");
    assert.match(link, /^\/account\/verify\?token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(link);

    // Mail scanners fetch links: a GET, however many, changes nothing; nor does a foreign page.
    for (let i = 0; i < 2; i++) assertButtonPage(await get(link), "/account/verify", token);
    assert.equal((await login()).status, 403);
    const crossSite = await post("/account/verify", { token }, undefined, { headers: CROSS_SITE });
    assert.equal(crossSite.status, 403, "the cross-site guard covers the button");
    assert.equal((await login()).status, 403);

    const verified = await post("/account/verify", { token });
    assert.equal(verified.status, 303);
    assert.equal(verified.headers.get("location"), "/account/login?done=verified-log-in");
    const notice = noticeOf(await get("/account/login?done=verified-log-in"));
    assert.equal(notice, "Your email address is verified. You can log in now.");
    const signedIn = await login();
    assert.equal(signedIn.headers.get("location"), "/account");
    const page = await get("/account", `session_id=${sessionCookieOf(signedIn)}`);
    assert.doesNotMatch(page.text, /not verified/, "no banner once verified");

    // The link works once; its page then says so, and how to get a new one.
    const again = await post("/account/verify", { token });
    assert.equal(again.status, 400);
    assertPrivatePage(again, "a used link");
    assert.match(alertOf(again), /does not work any more/);
    has(again, /<form class="stacked" method="post" action="\/account\/verification">/);
    assert.match(inputTag(again, "email"), /type="email"/);
    assert.doesNotMatch(again.text, /name="token"/, "no button to press in vain");
  });

  test(
    "the banner's new link; a followed link leads to /account or to login",
    TIMEOUT,
    async () => {
      const { email, cookie } = await account(optional, false);
      assert.ok(cookie, "optional: an unverified address signs in");
      const page = await opt.get("/account", cookie);
      has(
        page,
        /<div class="banner">\n<p><strong>Your email address is not verified\.<\/strong>/,
        /action="\/account\/verification">\n<button type="submit" class="secondary">Send a new link/,
      );
      assert.deepEqual(focusedFields(page), [], "no field steals the focus on arrival");

      const sent = await opt.post("/account/verification", {}, cookie);
      assert.equal(sent.status, 200);
      assertPrivatePage(sent, "the banner's new link");
      assert.match(sent.text, /id="account-email">page-user/, "the account page again");
      const link = linkOf(sent, "verification-link");
      const done = await opt.post("/account/verify", { token: tokenOf(link) }, cookie);
      assert.equal(done.headers.get("location"), "/account?done=email-verified");
      const after = await opt.get("/account?done=email-verified", cookie);
      assert.equal(noticeOf(after), "Your email address is verified.");
      assert.doesNotMatch(after.text, /class="banner"/);
      const already = await opt.post("/account/verification", {}, cookie);
      assert.equal(already.headers.get("location"), "/account?done=email-verified-already");

      // Signed in as someone else: the login page, not /account.
      const other = await account(optional, false);
      assert.notEqual(other.email, email);
      const otherLink = linkOf(
        await opt.post("/account/verification", { email: other.email }),
        "verification-link",
      );
      const elsewhere = await opt.post("/account/verify", { token: tokenOf(otherLink) }, cookie);
      assert.equal(elsewhere.headers.get("location"), "/account/login?done=verified-log-in");

      const anonymous = await opt.post("/account/verification");
      assert.equal(anonymous.headers.get("location"), "/account/login");
      const unknown = await opt.post("/account/verification", { email: "nobody@example.com" });
      assert.equal(unknown.status, 403, "development says so, as the API does");
      assert.deepEqual(focusedFields(unknown), ["email"]);
    },
  );

  test("change email: errors by their field, a link, applied by its button", TIMEOUT, async () => {
    const { email, cookie } = await account(server, true);
    const other = `session_id=${sessionCookieOf(await post("/account/login", { email, password: PASSWORD }))}`;
    const page = await get("/account", cookie);
    assertPrivatePage(page, "account");
    has(page, /<form class="stacked" method="post" action="\/account\/email">/);
    assert.match(inputTag(page, "new_email"), /type="email" autocomplete="email"/);
    assert.match(inputTag(page, "email_password"), /type="password" autocomplete="current-pass/);
    const newEmail = `moved-${email}`;
    const change = (new_email: string, password: string, more?: RequestOptions) =>
      post("/account/email", { new_email, email_password: password }, cookie, more);

    assert.equal((await change(newEmail, PASSWORD, { headers: CROSS_SITE })).status, 403);
    const wrong = await change(newEmail, "not it");
    assert.equal(wrong.status, 403);
    assert.equal(alertOf(wrong), "The current password is not right.");
    assert.deepEqual(focusedFields(wrong), ["email_password"]);
    assert.match(inputTag(wrong, "email_password"), /aria-invalid="true" aria-describedby="page-/);
    assert.match(inputTag(wrong, "new_email"), new RegExp(`value="${newEmail}"`), "kept");
    for (const bad of ["not an email", email.toUpperCase(), ""]) {
      const refused = await change(bad, PASSWORD);
      assert.equal(refused.status, 400, bad);
      assert.deepEqual(focusedFields(refused), ["new_email"], bad);
      assert.ok(alertOf(refused), bad);
    }

    const asked = await change(newEmail, PASSWORD);
    assert.equal(asked.status, 200);
    assertPrivatePage(asked, "development's confirmation link");
    assert.match(noticeOf(asked), new RegExp(`A confirmation link for ${newEmail} is ready`));
    const link = linkOf(asked, "confirmation-link");
    assert.match(link, /^\/account\/email\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(link);
    assertButtonPage(await get(link), "/account/email/confirm", token);
    has(await get("/account", cookie), new RegExp(`id="account-email">${email}<`));

    const confirmed = await post("/account/email/confirm", { token }, cookie);
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get("location"), "/account?done=email-changed");
    const after = await get("/account?done=email-changed", cookie);
    assert.equal(noticeOf(after), `Your email address is now ${newEmail}.`);
    has(after, new RegExp(`id="account-email">${newEmail}<`));
    assert.equal((await get("/account", other)).status, 303, "other sessions end");
    assert.equal((await post("/account/login", { email, password: PASSWORD })).status, 401);
    const newLogin = await post("/account/login", { email: newEmail, password: PASSWORD });
    assert.equal(newLogin.status, 303);

    const reused = await post("/account/email/confirm", { token }, cookie);
    assert.equal(reused.status, 400);
    assertPrivatePage(reused, "a used change link");
    assert.match(alertOf(reused), /does not work any more/);
    has(reused, /<a href="\/account">Ask for the change again on your account page<\/a>/);
  });

  test("confirmed without a session: the login page; taken meanwhile: 409", TIMEOUT, async () => {
    const first = await account(server, true);
    const second = await account(server, true);
    const target = `contested${users}@example.com`;
    const tokens: string[] = [];
    for (const { cookie } of [first, second]) {
      const form = { new_email: target, email_password: PASSWORD };
      tokens.push(tokenOf(linkOf(await post("/account/email", form, cookie), "confirmation-link")));
    }
    const won = await post("/account/email/confirm", { token: tokens[0] ?? "" });
    assert.equal(won.status, 200);
    assertPrivatePage(won, "changed, no session");
    assert.equal(noticeOf(won), `Your email address is now ${target}. Log in with it.`);
    assert.match(inputTag(won, "email"), new RegExp(`value="${target}"`));
    has(won, /action="\/account\/login"/);

    const lost = await post("/account/email/confirm", { token: tokens[1] ?? "" });
    assert.equal(lost.status, 409);
    assertPrivatePage(lost, "taken");
    assert.match(alertOf(lost), /Another account has this address by now/);
    has(lost, /<a href="\/account">Choose another address on your account page<\/a>/);
    has(await get("/account", second.cookie), new RegExp(`id="account-email">${second.email}<`));
  });

  test("wrong passwords on the change form end the session at the limit", TIMEOUT, async () => {
    const { cookie } = await account(server, true);
    const guess = (i: number) =>
      post("/account/email", { new_email: "guess@example.com", email_password: `${i}` }, cookie);
    for (let i = 1; i < REAUTH_MAX_FAILURES; i++) assert.equal((await guess(i)).status, 403);
    const last = await guess(REAUTH_MAX_FAILURES);
    assert.equal(last.headers.get("location"), "/account/login?done=session-ended");
    assert.ok(last.headers.getSetCookie().some((line) => /^session_id=;.*Max-Age=0/.test(line)));
    const form = { new_email: "x@example.com", email_password: PASSWORD };
    const anonymous = await post("/account/email", form);
    assert.equal(anonymous.headers.get("location"), "/account/login");
  });

  test("no token, junk tokens and junk forms: a clear page, never a 500", TIMEOUT, async () => {
    for (const [path, mail] of [
      ["/account/verify", "verification mail"],
      ["/account/email/confirm", "confirmation mail"],
    ] as const) {
      for (const query of ["", "?token="]) {
        const r = await get(`${path}${query}`);
        assert.equal(r.status, 400, path + query);
        assertPrivatePage(r, path + query);
        assert.match(alertOf(r), new RegExp(`needs the link from your ${mail}`));
      }
      for (const token of ["junk", "x".repeat(43), "a".repeat(600)]) {
        const r = await post(path, { token });
        assert.equal(r.status, 400, `${path} ${token.length}`);
        assert.match(alertOf(r), /does not work any more/);
      }
      assert.equal((await get(`${path}?token=${"a".repeat(600)}`)).status, 400);
    }
    for (const path of ["/account/verification", "/account/email"]) {
      const r = await get(path);
      assert.equal(r.headers.get("location"), "/account", "a reloaded form: the account page");
    }
    const { cookie } = await account(server, true);
    const urlencoded = "application/x-www-form-urlencoded";
    const junk: RequestOptions[] = [
      { form: {} },
      { form: { token: "\u0000" } },
      { form: { email: "a\u0000@b.co", new_email: "\ud800@x.y" } },
      { form: { token: "t", extra: "x".repeat(2000) } },
      { raw: "token=1&token=2&email=a&email=b", contentType: urlencoded },
      { raw: "%%%=&&&", contentType: urlencoded },
      { json: { token: 42, email: ["a@b.co"], new_email: null } },
      { raw: "{", contentType: "application/json" },
      { form: { email: "not an email" } },
      { form: { email: `${"a".repeat(300)}@example.com` } },
      { form: { new_email: "x@example.com" } },
    ];
    const paths = ["/account/verify", "/account/email/confirm", "/account/verification"];
    for (const path of [...paths, "/account/email"])
      for (const options of junk)
        for (const signedIn of [undefined, cookie]) {
          const r = await request(server.url, "POST", path, { ...options, cookie: signedIn });
          assert.ok(r.status < 500, `${path} ${JSON.stringify(options)}: ${r.status} ${r.text}`);
        }
  });

  test("an expired link says so, for either purpose", TIMEOUT, async () => {
    const clock = manualClock(Date.now());
    const timed = await startTestApp({ EMAIL_VERIFICATION: "optional" }, { now: clock.now });
    try {
      const { post } = client(() => timed);
      const { email, cookie } = await account(timed, false);
      const sent = await post("/account/verification", { email });
      const form = { new_email: `later-${email}`, email_password: PASSWORD };
      const asked = await post("/account/email", form, cookie);
      clock.advance(24 * 60 * 60_000 + 1000);
      for (const [path, link] of [
        ["/account/verify", linkOf(sent, "verification-link")],
        ["/account/email/confirm", linkOf(asked, "confirmation-link")],
      ] as const) {
        assert.ok(link, path);
        const r = await post(path, { token: tokenOf(link) });
        assert.equal(r.status, 400, path);
        assert.match(alertOf(r), /it has expired/, path);
      }
    } finally {
      await timed.close();
    }
  });
});
