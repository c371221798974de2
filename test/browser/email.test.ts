import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Debian's Chromium (`apt-get install chromium`); Playwright's own download cannot work here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function skipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`browser tests required: ${reason}`);
  return reason;
}

describe("verified addresses and email change in Chromium", { skip: skipReason() }, () => {
  let server: TestServer;
  let browser: Browser;
  const cspViolations: string[] = [];
  /** Sub-resources (stylesheet, icon) that failed: a page should ask for nothing that is missing. */
  const failedResources: string[] = [];

  before(async () => {
    // Development (links on the page instead of mail), addresses required; BCRYPT_COST=4 (TEST_ENV).
    server = await startTestServer({ EMAIL_VERIFICATION: "required" });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("response", (response) => {
      if (response.status() >= 400 && response.request().resourceType() !== "document")
        failedResources.push(`${response.status()} ${response.url()}`);
    });
    return page;
  }

  /** Waits for the page to reach `url`; on timeout, says where it is and what it shows. */
  async function arriveAt(page: Page, url: string | RegExp): Promise<void> {
    try {
      await page.waitForURL(url, { timeout: 10_000 });
    } catch (error) {
      const text = await page
        .locator("main")
        .textContent()
        .catch(() => "");
      throw new Error(`expected ${url}, still at ${page.url()}: ${text?.replaceAll(/\s+/g, " ")}`, {
        cause: error,
      });
    }
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${server.url}/account/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
  }

  test("register, refused until verified, a new link, verify; then change the email", {
    timeout: 120_000,
  }, async () => {
    const email = "browser-mail@example.com";
    const newEmail = "browser-mail-new@example.com";
    const password = "b4l0u-mail";
    const page = await newPage();

    await page.goto(`${server.url}/account/register`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await arriveAt(page, /\/account\/login\?done=registered$/);

    // The right password, an unverified address: no session, the message, a way to a new link.
    await logIn(page, email, password);
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
    await logIn(page, email, password);
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
