import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RECOVERY_CODE_COUNT } from "../../../src/capabilities/second-factor/recovery-codes.js";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { REAUTH_MAX_FAILURES } from "../../../src/core/reauthentication.js";
import { MFA_TOKEN_MAX_FAILURES } from "../../../src/core/sign-in.js";
import {
  request,
  sessionCookieOf,
  signedInUser as signedIn,
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
import { wrongTotpCode } from "../../helpers/totp.js";

const PASSWORD = "b4l0u-2fa";
const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

/** The TOTP key the set-up page shows (grouped in fours), without its spaces. */
function secretOf(response: TestResponse): string {
  return (/id="totp-secret">([A-Z2-7 ]+)</.exec(response.text)?.[1] ?? "").replaceAll(" ", "");
}

function mfaTokenOf(response: TestResponse): string {
  return /name="mfa_token" value="([^"]+)"/.exec(response.text)?.[1] ?? "";
}

function recoveryCodesOf(response: TestResponse): string[] {
  const list = /<ul class="codes" id="recovery-codes">([\s\S]*?)<\/ul>/.exec(response.text)?.[1];
  return [...(list ?? "").matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1] ?? "");
}

async function signedInUser(url: string, email: string): Promise<string> {
  return (await signedIn(url, email, PASSWORD)).cookie;
}

/** Sets TOTP up through the pages; the secret and the recovery codes. */
async function turnedOn(url: string, cookie: string): Promise<{ secret: string; codes: string[] }> {
  const setup = await request(url, "POST", "/account/mfa/setup", { cookie });
  const secret = secretOf(setup);
  const confirmed = await request(url, "POST", "/account/mfa/confirm", {
    cookie,
    form: { secret, code: totpCode(secret, new Date()), current_password: PASSWORD },
  });
  assert.equal(confirmed.status, 200, alertOf(confirmed));
  return { secret, codes: recoveryCodesOf(confirmed) };
}

/** The password step of the login page, which answers with the second step. */
async function passwordStep(url: string, email: string): Promise<TestResponse> {
  const step = await request(url, "POST", "/account/login", {
    form: { email, password: PASSWORD },
  });
  assert.equal(step.status, 200);
  assert.deepEqual(step.headers.getSetCookie(), [], "no cookie before the second factor");
  return step;
}

describe("hosted pages of two-factor authentication", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp();
  });
  after(async () => server.close());

  test("set up from the account page: a QR image, the key, a confirm form; then ten codes and 'on'", {
    timeout: 30_000,
  }, async () => {
    const cookie = await signedInUser(server.url, "setup-page@example.com");
    const before = await request(server.url, "GET", "/account", { cookie });
    assert.match(before.text, /<h2>Two-factor authentication<\/h2>/);
    assert.match(before.text, /id="mfa-state">off</);
    assert.match(before.text, /<form method="post" action="\/account\/mfa\/setup">/);
    assert.deepEqual(focusedFields(before), [], "no field steals the focus on arrival");

    // A GET changes nothing; no session, or a foreign page, starts nothing.
    const get = await request(server.url, "GET", "/account/mfa/setup", { cookie });
    assert.equal(get.status, 303);
    assert.equal(get.headers.get("location"), "/account");
    const anonymous = await request(server.url, "POST", "/account/mfa/setup");
    assert.equal(anonymous.headers.get("location"), "/account/login");
    const crossSite = await request(server.url, "POST", "/account/mfa/setup", {
      cookie,
      headers: CROSS_SITE,
    });
    assert.equal(crossSite.status, 403);
    assert.doesNotMatch(crossSite.text, /<html/, "refused before the page");

    const setup = await request(server.url, "POST", "/account/mfa/setup", { cookie });
    assert.equal(setup.status, 200);
    assertPrivatePage(setup, "set-up page");
    const secret = secretOf(setup);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.match(setup.text, /id="totp-secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}</, "grouped in fours");
    const image = /<img class="qr" src="data:image\/svg\+xml;base64,([^"]+)" alt="([^"]+)"/.exec(
      setup.text,
    );
    assert.ok(image, "the QR code is an image, with a text alternative");
    const svg = Buffer.from(image[1] ?? "", "base64").toString("utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /<script|\son[a-z]+=/i);
    assert.match(
      setup.text,
      /<form class="stacked" method="post" action="\/account\/mfa\/confirm">/,
    );
    assert.match(
      inputTag(setup, "code"),
      /type="text" autocomplete="one-time-code" required maxlength="32" inputmode="numeric"/,
    );
    assert.match(inputTag(setup, "current_password"), /type="password"/);

    const confirm = (form: Record<string, string>) =>
      request(server.url, "POST", "/account/mfa/confirm", { cookie, form });
    const wrongPassword = await confirm({
      secret,
      code: totpCode(secret, new Date()),
      current_password: "not it",
    });
    assert.equal(wrongPassword.status, 403);
    assert.equal(alertOf(wrongPassword), "The current password is not right.");
    assert.deepEqual(focusedFields(wrongPassword), ["current_password"]);
    assert.equal(secretOf(wrongPassword), secret, "the key is shown again");
    assertPrivatePage(wrongPassword, "set-up page again");

    const wrong = await confirm({
      secret,
      code: wrongTotpCode(secret),
      current_password: PASSWORD,
    });
    assert.equal(wrong.status, 400);
    assert.match(alertOf(wrong) ?? "", /That code is not right/);
    assert.deepEqual(focusedFields(wrong), ["code"]);
    assert.match(inputTag(wrong, "code"), /aria-invalid="true"/);
    assert.equal(secretOf(wrong), secret);

    // The hidden secret only shows the key again: a code of another secret is refused.
    const other = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const forged = await confirm({
      secret: other,
      code: totpCode(other, new Date()),
      current_password: PASSWORD,
    });
    assert.equal(forged.status, 400);
    const mangled = await confirm({ secret: "<b>", code: "123456", current_password: PASSWORD });
    assert.doesNotMatch(mangled.text, /id="totp-secret"|<img|<b>/, "no key from a mangled field");
    assert.match(mangled.text, /<button type="submit" class="secondary">Start over<\/button>/);

    const done = await confirm({
      secret,
      code: totpCode(secret, new Date()),
      current_password: PASSWORD,
    });
    assert.equal(done.status, 200);
    assertPrivatePage(done, "recovery codes");
    assert.equal(noticeOf(done), "Two-factor authentication is on.");
    const codes = recoveryCodesOf(done);
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    for (const code of codes) assert.match(code, /^[0-9a-z]{5}-[0-9a-z]{5}$/);
    assert.match(done.text, /somewhere safe/);
    assert.match(done.text, /<a href="\/account">Back to your account<\/a>/);

    const after = await request(server.url, "GET", "/account", { cookie });
    assert.match(after.text, /id="mfa-state">on</);
    assert.match(after.text, /id="recovery-codes-left">10 recovery codes left\.</);
    assert.match(after.text, /action="\/account\/mfa\/recovery-codes"/);
    assert.match(after.text, /action="\/account\/mfa\/disable"/);
    assert.doesNotMatch(after.text, /action="\/account\/mfa\/setup"/);
    const again = await request(server.url, "POST", "/account/mfa/setup", { cookie });
    assert.equal(again.headers.get("location"), "/account?done=mfa-on-already");
  });

  test("log in: the second step's page, a wrong code keeps you there, the right one signs you in", {
    timeout: 30_000,
  }, async () => {
    const email = "second-step@example.com";
    const { secret, codes } = await turnedOn(server.url, await signedInUser(server.url, email));

    const step = await passwordStep(server.url, email);
    assertPrivatePage(step, "second step");
    assert.match(step.text, /<title>Two-factor authentication · auth-service<\/title>/);
    const mfaToken = mfaTokenOf(step);
    assert.ok(mfaToken.length > 20);
    assert.equal([...step.text.matchAll(/type="hidden" name="mfa_token"/g)].length, 2);
    assert.equal(
      [
        ...step.text.matchAll(
          /<form class="stacked" method="post" action="\/account\/login\/mfa">/g,
        ),
      ].length,
      2,
      "the app's code and, behind <details>, a recovery code",
    );
    assert.doesNotMatch(step.text, /(href|action)="[^"]*\?/, "no token in any URL");
    assert.match(
      inputTag(step, "code"),
      /autocomplete="one-time-code" required maxlength="32" inputmode="numeric"/,
    );
    assert.match(inputTag(step, "recovery_code"), /inputmode="text"/);
    assert.match(step.text, /<summary>Use a recovery code instead<\/summary>/);
    assert.deepEqual(focusedFields(step), ["code"]);

    const complete = (form: Record<string, string>) =>
      request(server.url, "POST", "/account/login/mfa", { form });
    const empty = await complete({ mfa_token: mfaToken, code: " " });
    assert.equal(empty.status, 400);
    const wrong = await complete({ mfa_token: mfaToken, code: wrongTotpCode(secret) });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.headers.getSetCookie(), []);
    assert.match(alertOf(wrong) ?? "", /That code is not right/);
    assert.deepEqual(focusedFields(wrong), ["code"]);
    assert.match(inputTag(wrong, "code"), /aria-invalid="true"/);
    assert.equal(mfaTokenOf(wrong), mfaToken, "the same token, to try again");
    assert.doesNotMatch(wrong.text, /<details open>/);

    // The confirm used this step's code: one of the next step is new (and within the drift).
    const right = await complete({
      mfa_token: mfaToken,
      code: totpCode(secret, new Date(Date.now() + 30_000)),
    });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get("location"), "/account");
    const cookie = `session_id=${sessionCookieOf(right)}`;
    const account = await request(server.url, "GET", "/account", { cookie });
    assert.equal(account.status, 200);
    assert.match(account.text, /id="account-email">second-step@example\.com</);

    const used = await complete({ mfa_token: mfaToken, code: codes[0] ?? "" });
    assert.equal(used.status, 303, "a token works once");
    assert.equal(used.headers.get("location"), "/account/login?done=mfa-login-expired");
    const login = await request(server.url, "GET", "/account/login?done=mfa-login-expired");
    assert.match(noticeOf(login) ?? "", /Log in again/);

    // A recovery code, from the second form.
    const byCode = mfaTokenOf(await passwordStep(server.url, email));
    const recovered = await complete({ mfa_token: byCode, recovery_code: codes[0] ?? "" });
    assert.equal(recovered.status, 303);
    assert.equal(recovered.headers.get("location"), "/account");
    const left = await request(server.url, "GET", "/account", {
      cookie: `session_id=${sessionCookieOf(recovered)}`,
    });
    assert.match(left.text, /id="recovery-codes-left">9 recovery codes left\.</);
    const byUsedCode = mfaTokenOf(await passwordStep(server.url, email));
    const reused = await complete({ mfa_token: byUsedCode, recovery_code: codes[0] ?? "" });
    assert.equal(reused.status, 401, "each code works once");
    assert.match(alertOf(reused) ?? "", /used already/);
    assert.deepEqual(focusedFields(reused), ["recovery_code"]);
    assert.match(reused.text, /<details open>/, "the recovery form stays open");

    // Wrong codes spend the token: back to the login page.
    const spending = mfaTokenOf(await passwordStep(server.url, email));
    let last: TestResponse | undefined;
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES; i++)
      last = await complete({ mfa_token: spending, code: wrongTotpCode(secret) });
    assert.equal(last?.status, 303);
    assert.equal(last?.headers.get("location"), "/account/login?done=mfa-login-expired");
    const unknown = await complete({ mfa_token: "not-a-token", code: "123456" });
    assert.equal(unknown.headers.get("location"), "/account/login?done=mfa-login-expired");
    const crossSite = await request(server.url, "POST", "/account/login/mfa", {
      form: { mfa_token: byUsedCode, code: "123456" },
      headers: CROSS_SITE,
    });
    assert.equal(crossSite.status, 403);
  });

  test("new recovery codes and turning it off ask for the current password", {
    timeout: 30_000,
  }, async () => {
    const email = "turn-off@example.com";
    const cookie = await signedInUser(server.url, email);
    const { codes } = await turnedOn(server.url, cookie);
    const post = (path: string, form: Record<string, string>, headers?: Record<string, string>) =>
      request(server.url, "POST", path, { cookie, form, headers });

    const wrongRenew = await post("/account/mfa/recovery-codes", {
      recovery_codes_password: "not it",
    });
    assert.equal(wrongRenew.status, 403);
    assert.equal(alertOf(wrongRenew), "The current password is not right.");
    assert.deepEqual(focusedFields(wrongRenew), ["recovery_codes_password"]);
    assert.match(inputTag(wrongRenew, "recovery_codes_password"), /aria-invalid="true"/);
    assert.doesNotMatch(inputTag(wrongRenew, "mfa_off_password"), /aria-invalid/);
    assert.match(wrongRenew.text, /id="account-email">turn-off@example\.com/, "the account page");

    // The password alone is not enough: the code field is asked for.
    const passwordOnly = await post("/account/mfa/recovery-codes", {
      recovery_codes_password: PASSWORD,
    });
    assert.equal(passwordOnly.status, 403);
    assert.match(alertOf(passwordOnly), /needs a current code/);
    assert.deepEqual(focusedFields(passwordOnly), ["recovery_codes_code"]);
    const wrongCode = await post("/account/mfa/recovery-codes", {
      recovery_codes_password: PASSWORD,
      recovery_codes_code: "aaaaa-bbbbb",
    });
    assert.equal(wrongCode.status, 403);
    assert.deepEqual(focusedFields(wrongCode), ["recovery_codes_code"]);

    const renewed = await post("/account/mfa/recovery-codes", {
      recovery_codes_password: PASSWORD,
      recovery_codes_code: codes[2] ?? "",
    });
    assert.equal(renewed.status, 200);
    assertPrivatePage(renewed, "new recovery codes");
    const fresh = recoveryCodesOf(renewed);
    assert.equal(fresh.length, RECOVERY_CODE_COUNT);
    assert.equal(
      fresh.some((code) => codes.includes(code)),
      false,
    );
    const oldCode = await request(server.url, "POST", "/account/login/mfa", {
      form: {
        mfa_token: mfaTokenOf(await passwordStep(server.url, email)),
        recovery_code: codes[1] ?? "",
      },
    });
    assert.equal(oldCode.status, 401, "the old codes are gone");

    const crossSite = await post(
      "/account/mfa/disable",
      { mfa_off_password: PASSWORD },
      CROSS_SITE,
    );
    assert.equal(crossSite.status, 403);
    const wrongOff = await post("/account/mfa/disable", { mfa_off_password: "not it" });
    assert.equal(wrongOff.status, 403);
    assert.deepEqual(focusedFields(wrongOff), ["mfa_off_password"]);
    assert.match(wrongOff.text, /id="mfa-state">on</, "still on");

    const offWithoutCode = await post("/account/mfa/disable", { mfa_off_password: PASSWORD });
    assert.equal(offWithoutCode.status, 403);
    assert.deepEqual(focusedFields(offWithoutCode), ["mfa_off_code"]);
    assert.match(offWithoutCode.text, /id="mfa-state">on</, "still on");
    const off = await post("/account/mfa/disable", {
      mfa_off_password: PASSWORD,
      mfa_off_code: fresh[0] ?? "",
    });
    assert.equal(off.status, 303);
    assert.equal(off.headers.get("location"), "/account?done=mfa-off");
    const page = await request(server.url, "GET", "/account?done=mfa-off", { cookie });
    assert.equal(noticeOf(page), "Two-factor authentication is off.");
    assert.match(page.text, /id="mfa-state">off</);
    const login = await request(server.url, "POST", "/account/login", {
      form: { email, password: PASSWORD },
    });
    assert.equal(login.status, 303, "the password alone again");
    assert.ok(sessionCookieOf(login));
    const twice = await post("/account/mfa/disable", { mfa_off_password: PASSWORD });
    assert.equal(twice.headers.get("location"), "/account?done=mfa-off-already");
    const anonymous = await request(server.url, "POST", "/account/mfa/disable", {
      form: { mfa_off_password: PASSWORD },
    });
    assert.equal(anonymous.headers.get("location"), "/account/login");
  });

  test("too many wrong passwords to turn it off end the session, as on the password form", {
    timeout: 30_000,
  }, async () => {
    const cookie = await signedInUser(server.url, "guessing-off@example.com");
    await turnedOn(server.url, cookie);
    const guess = (i: number) =>
      request(server.url, "POST", "/account/mfa/disable", {
        form: { mfa_off_password: `guess ${i}` },
        cookie,
      });
    for (let i = 1; i < REAUTH_MAX_FAILURES; i++) assert.equal((await guess(i)).status, 403);
    const last = await guess(REAUTH_MAX_FAILURES);
    assert.equal(last.status, 303);
    assert.equal(last.headers.get("location"), "/account/login?done=session-ended");
    assert.ok(last.headers.getSetCookie().some((line) => /^session_id=;.*Max-Age=0/.test(line)));
    assert.equal((await request(server.url, "GET", "/account", { cookie })).status, 303);
  });
});

describe("hosted pages of two-factor authentication: login throttling", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestApp({ LOGIN_MAX_FAILURES: "2", LOGIN_LOCKOUT_BASE: "10m" });
  });
  after(async () => server.close());

  test("wrong codes lock the account: the step says so, with Retry-After and the same token", {
    timeout: 30_000,
  }, async () => {
    const email = "locked-step@example.com";
    const { secret } = await turnedOn(server.url, await signedInUser(server.url, email));
    const mfaToken = mfaTokenOf(await passwordStep(server.url, email));
    for (let i = 0; i < 2; i++) {
      const wrong = await request(server.url, "POST", "/account/login/mfa", {
        form: { mfa_token: mfaToken, code: wrongTotpCode(secret) },
      });
      assert.equal(wrong.status, 401);
    }
    const locked = await request(server.url, "POST", "/account/login/mfa", {
      form: { mfa_token: mfaToken, code: totpCode(secret, new Date(Date.now() + 30_000)) },
    });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) >= 1);
    assert.match(alertOf(locked) ?? "", /Too many failed login attempts/);
    assert.equal(mfaTokenOf(locked), mfaToken);
    assert.deepEqual(focusedFields(locked), ["code"]);
    assert.deepEqual(locked.headers.getSetCookie(), []);
  });
});
