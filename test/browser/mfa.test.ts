import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { RECOVERY_CODE_COUNT } from "../../src/auth/recovery-codes.js";
import { timeStepAt, totpCode } from "../../src/auth/totp.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { wrongTotpCode } from "../helpers/totp.js";

/** The image element, as far as this test needs it (the project has no DOM typings). */
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
}

/** Debian's Chromium (`apt-get install chromium`); Playwright's own download cannot work here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function skipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`browser tests required: ${reason}`);
  return reason;
}

describe("two-factor authentication's pages in Chromium", { skip: skipReason() }, () => {
  let server: TestServer;
  let browser: Browser;
  const cspViolations: string[] = [];
  /** Sub-resources (stylesheet, icon) that failed: a page should ask for nothing that is missing. */
  const failedResources: string[] = [];

  before(async () => {
    server = await startTestServer();
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

  /** A CSS :focus selector: waitForFunction evaluates a string, which the CSP refuses. */
  async function hasFocus(page: Page, id: string): Promise<void> {
    await page.locator(`#${id}:focus`).waitFor({ timeout: 10_000 });
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${server.url}/account/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
  }

  async function logOut(page: Page): Promise<void> {
    await page.getByRole("button", { name: "Log out" }).click();
    await arriveAt(page, /\/account\/login\?done=logged-out$/);
  }

  test("set up from the account page, then log in with a TOTP code, then with a recovery code", {
    timeout: 120_000,
  }, async () => {
    const email = "browser-2fa@example.com";
    const password = "b4l0u-2fa";
    const page = await newPage();

    await page.goto(`${server.url}/account/register`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await arriveAt(page, /\/account\/login\?done=registered$/);
    await logIn(page, email, password);
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
    await logIn(page, email, password);
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
    await logIn(page, email, password);
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
