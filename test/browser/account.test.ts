import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { arriveAt, browserSkipReason, chromiumSuite, hasFocus } from "../helpers/browser.js";

/** The page's window, as far as this test needs it (the project has no DOM typings). */
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

describe("hosted pages in Chromium", { skip: browserSkipReason() }, () => {
  const suite = chromiumSuite();
  const { cspViolations, failedResources } = suite;

  /** docs/screenshots/<name>.png, when UPDATE_SCREENSHOTS=1 (committed for docs/guides/hosted-pages.md). */
  async function snapshot(page: Page, name: string): Promise<void> {
    if (process.env.UPDATE_SCREENSHOTS !== "1") return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  }

  test("register, log in, see the account, revoke another session, log out, reset the password", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser@example.com";
    const page = await suite.newPage();

    // Register with the keyboard only: the email field has focus, Tab, Enter.
    await page.goto(`${server.url}/account/register`);
    await snapshot(page, "register");
    // The email field has focus once the page is up (autofocus); typing earlier loses keys.
    await hasFocus(page, "email");
    await page.keyboard.type(email);
    await page.keyboard.press("Tab");
    await page.keyboard.type("b4l0u");
    await page.keyboard.press("Enter");
    await arriveAt(page, /\/account\/login\?done=registered$/);
    assert.match((await page.getByRole("status").textContent()) ?? "", /Account created/);

    // The stylesheet loaded under the CSP (the button has its colour).
    const background = await page
      .getByRole("button", { name: "Log in" })
      .evaluate(
        (element) =>
          (globalThis as unknown as BrowserWindow).getComputedStyle(element).backgroundColor,
      );
    assert.equal(background, "rgb(42, 93, 176)");

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("wrong!");
    await page.getByRole("button", { name: "Log in" }).click();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /Wrong email or password/);
    // The email is kept: the focus is on the password, to type it again.
    await hasFocus(page, "password");
    await page.keyboard.type("b4l0u");
    await snapshot(page, "login");
    await page.getByRole("button", { name: "Log in" }).click();
    await arriveAt(page, `${server.url}/account`);
    assert.equal((await page.locator("#account-email").textContent()) ?? "", email);

    // A second device logs in; the first one sees it and revokes it.
    const phone = await suite.newPage();
    await phone.goto(`${server.url}/account/login`);
    await phone.getByLabel("Email").fill(email);
    await phone.getByLabel("Password").fill("b4l0u");
    await phone.getByRole("button", { name: "Log in" }).click();
    await arriveAt(phone, `${server.url}/account`);

    await page.reload();
    assert.equal(await page.locator("#sessions li").count(), 2);
    await snapshot(page, "account");
    await page.getByRole("button", { name: /^Revoke/ }).click();
    assert.match((await page.getByRole("status").textContent()) ?? "", /session has ended/);
    assert.equal(await page.locator("#sessions li").count(), 1);
    await phone.reload();
    assert.match(phone.url(), /\/account\/login$/, "the revoked device is signed out");
    await page.reload();
    assert.equal(
      (await page.locator("#account-email").textContent()) ?? "",
      email,
      "this one lives on",
    );

    // The phone again: this time "Sign out of all other sessions" ends it.
    await phone.getByLabel("Email").fill(email);
    await phone.getByLabel("Password").fill("b4l0u");
    await phone.getByRole("button", { name: "Log in" }).click();
    await arriveAt(phone, `${server.url}/account`);
    await page.reload();
    await page.getByRole("button", { name: "Sign out of all other sessions" }).click();
    await arriveAt(page, /\/account\?done=others-revoked$/);
    assert.match((await page.getByRole("status").textContent()) ?? "", /Every other session/);
    await phone.reload();
    assert.match(phone.url(), /\/account\/login$/, "the other device is signed out");

    // Change the password: a wrong current one first, which takes the focus back.
    await page.getByLabel("Current password").fill("not it");
    await page.getByLabel("New password").fill("b4l0u-2");
    await page.getByRole("button", { name: "Change password" }).click();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /current password/);
    await hasFocus(page, "current_password");
    await page.keyboard.type("b4l0u");
    await page.getByLabel("New password").fill("b4l0u-2");
    await page.getByRole("button", { name: "Change password" }).click();
    await arriveAt(page, /\/account\?done=password-changed$/);

    await page.getByRole("button", { name: "Log out" }).click();
    await arriveAt(page, /\/account\/login\?done=logged-out$/);
    await page.goto(`${server.url}/account`);
    assert.match(page.url(), /\/account\/login$/);

    // Forgot, then reset with the link development mode shows.
    await page.goto(`${server.url}/account/forgot`);
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send me a reset link" }).click();
    await snapshot(page, "forgot");
    await page.locator("#reset-link").click();
    await arriveAt(page, /\/account\/reset\?token=/);
    assert.equal(await page.getByLabel("Email").count(), 0, "the token names the account");
    await hasFocus(page, "new_password");
    await page.keyboard.type("a new passphrase");
    await snapshot(page, "reset");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await arriveAt(page, /\/account\/login\?done=reset$/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a new passphrase");
    await page.getByRole("button", { name: "Log in" }).click();
    await arriveAt(page, `${server.url}/account`);

    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
    assert.deepEqual(failedResources, [], "no page asked for something missing (stylesheet, icon)");
  });
});
