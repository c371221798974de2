import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  arriveAt,
  browserSkipReason,
  chromiumSuite,
  logIn,
  register,
} from "../../helpers/browser.js";

describe("verified addresses and email change in Chromium", { skip: browserSkipReason() }, () => {
  // Development (links on the page instead of mail), addresses required; BCRYPT_COST=4 (TEST_ENV).
  const suite = chromiumSuite({ EMAIL_VERIFICATION: "required" });
  const { cspViolations, failedResources } = suite;

  test("register, refused until verified, a new link, verify; then change the email", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser-mail@example.com";
    const newEmail = "browser-mail-new@example.com";
    const password = "b4l0u-mail";
    const page = await suite.newPage();

    await register(page, server.url, email, password);
    // The address comes first; development mails nothing, and says where the link shows up.
    const registered = page.getByRole("status");
    await registered.waitFor({ timeout: 10_000 });
    assert.match(
      (await registered.textContent()) ?? "",
      /^Account created\. Verify your address before you log in\. Development mode mails no link/,
    );
    assert.equal(await page.getByRole("button", { name: "Send a new link" }).count(), 1);

    // The right password, an unverified address: no session, the message, a way to a new link.
    await logIn(page, server.url, email, password);
    const alert = page.getByRole("alert");
    await alert.waitFor({ timeout: 10_000 });
    assert.match((await alert.textContent()) ?? "", /Verify your email address first/);
    assert.equal((await page.context().cookies()).length, 0, "no session");
    await page.getByRole("button", { name: "Send a new link" }).click();
    // Development shows the link the mail would carry.
    const link = page.locator("#verification-link");
    await link.waitFor({ timeout: 10_000 });
    await link.click();
    await arriveAt(page, /\/account\/verify\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(
      await page.getByRole("heading", { level: 1 }).textContent(),
      "Verify your email address",
    );
    await page.getByRole("button", { name: "Verify my email address" }).click();
    await arriveAt(page, /\/account\/login\?done=verified-log-in$/);
    assert.equal(
      await page.getByRole("status").textContent(),
      "Your email address is verified. You can log in now.",
    );
    await logIn(page, server.url, email, password);
    await arriveAt(page, `${server.url}/account`);
    assert.equal(await page.locator("#account-email").textContent(), email);
    assert.equal(await page.locator(".banner").count(), 0, "no banner once verified");

    // The change: the new address and the password; development shows the confirmation link.
    await page.getByLabel("New email address").fill(newEmail);
    await page.getByLabel("Your password, to change the email").fill(password);
    await page.getByRole("button", { name: "Change email" }).click();
    const confirmation = page.locator("#confirmation-link");
    await confirmation.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator("#account-email").textContent(), email, "not changed yet");
    await confirmation.click();
    await arriveAt(page, /\/account\/email\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(
      await page.getByRole("heading", { level: 1 }).textContent(),
      "Confirm your new email address",
    );
    await page.getByRole("button", { name: "Use this email address" }).click();
    await arriveAt(page, `${server.url}/account?done=email-changed`);
    assert.equal(
      await page.getByRole("status").textContent(),
      `Your email address is now ${newEmail}.`,
    );
    assert.equal(await page.locator("#account-email").textContent(), newEmail);

    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
    assert.deepEqual(failedResources, [], "no page asked for something missing (stylesheet, icon)");
  });
});
