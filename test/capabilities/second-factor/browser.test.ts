import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { RECOVERY_CODE_COUNT } from "../../../src/capabilities/second-factor/recovery-codes.js";
import { timeStepAt, totpCode } from "../../../src/capabilities/second-factor/totp.js";
import {
  arriveAt,
  browserSkipReason,
  chromiumSuite,
  hasFocus,
  logIn,
  register,
} from "../../helpers/browser.js";
import { wrongTotpCode } from "../../helpers/totp.js";

/** The image element, as far as this test needs it (the project has no DOM typings). */
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
}

describe("two-factor authentication's pages in Chromium", { skip: browserSkipReason() }, () => {
  const suite = chromiumSuite();
  const { cspViolations, failedResources } = suite;

  async function logOut(page: Page): Promise<void> {
    await page.getByRole("button", { name: "Log out" }).click();
    await arriveAt(page, /\/account\/login\?done=logged-out$/);
  }

  test("set up from the account page, then log in with a TOTP code, then with a recovery code", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser-2fa@example.com";
    const password = "b4l0u-2fa";
    const page = await suite.newPage();

    await register(page, server.url, email, password);
    await arriveAt(page, /\/account\/login\?done=registered$/);
    await logIn(page, server.url, email, password);
    await arriveAt(page, `${server.url}/account`);
    assert.equal(await page.locator("#mfa-state").textContent(), "off");

    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await arriveAt(page, `${server.url}/account/mfa/setup`);
    assert.equal(
      await page.getByRole("heading", { level: 1 }).textContent(),
      "Set up two-factor authentication",
    );
    // The QR code loaded under the CSP (img-src data:) and is an image with a text alternative.
    const qr = page.getByRole("img", { name: /QR code/ });
    const loaded = await qr.evaluate((element) => {
      const image = element as unknown as ImageElement;
      return image.complete && image.naturalWidth > 0;
    });
    assert.equal(loaded, true, "the QR code image is drawn");
    const secret = ((await page.locator("#totp-secret").textContent()) ?? "").replaceAll(" ", "");
    assert.match(secret, /^[A-Z2-7]{32}$/);

    // The app's code and the password; a wrong code first keeps the key on the page.
    await page.getByLabel("Code from your app").fill(wrongTotpCode(secret));
    await page.getByLabel("Current password").fill(password);
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /code is not right/);
    await hasFocus(page, "code");
    assert.equal(
      ((await page.locator("#totp-secret").textContent()) ?? "").replaceAll(" ", ""),
      secret,
    );
    const confirmedAt = new Date();
    await page.keyboard.type(totpCode(secret, confirmedAt));
    await page.getByLabel("Current password").fill(password);
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    await page.locator("#recovery-codes").waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole("status").textContent(), "Two-factor authentication is on.");
    const codes = await page.locator("#recovery-codes code").allTextContents();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    await page.getByRole("link", { name: "Back to your account" }).click();
    await arriveAt(page, `${server.url}/account`);
    assert.equal(await page.locator("#mfa-state").textContent(), "on");
    assert.equal(
      await page.locator("#recovery-codes-left").textContent(),
      "10 recovery codes left.",
    );

    // Log in again: the password, then the code, typed into the field that has the focus.
    await logOut(page);
    await logIn(page, server.url, email, password);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    assert.equal((await page.context().cookies()).length, 0, "no session before the code");
    await hasFocus(page, "code");
    // A code of the confirm's step would be refused as a replay: the next step's is new,
    // and within the one step of drift the server accepts.
    const next = new Date(Date.now() + 30_000);
    assert.ok(timeStepAt(next) > timeStepAt(confirmedAt), "another step than the confirm's");
    await page.keyboard.type(totpCode(secret, next));
    await page.keyboard.press("Enter");
    await arriveAt(page, `${server.url}/account`);
    assert.equal(await page.locator("#account-email").textContent(), email);

    // And with a recovery code, behind "Use a recovery code instead", opened from the keyboard.
    await logOut(page);
    await logIn(page, server.url, email, password);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    await page.locator("summary").focus();
    await page.keyboard.press("Enter");
    await page.getByLabel("Recovery code").fill(codes[0] ?? "");
    await page.getByRole("button", { name: "Log in with the recovery code" }).click();
    await arriveAt(page, `${server.url}/account`);
    assert.equal(await page.locator("#account-email").textContent(), email);
    assert.equal(
      await page.locator("#recovery-codes-left").textContent(),
      "9 recovery codes left.",
    );

    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
    assert.deepEqual(failedResources, [], "no page asked for something missing (stylesheet, icon)");
  });
});
