import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { totpCode } from "../../src/capabilities/second-factor/totp.js";
import { arriveAt, browserSkipReason, chromiumSuite } from "../helpers/browser.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { turnOnTotp, wrongTotpCode } from "../helpers/totp.js";

/**
 * An application the pages may send people back to: its own origin (another
 * port of 127.0.0.1), listed in ALLOWED_RETURN_ORIGINS.
 */
function applicationServer(env: Record<string, string>): { origin: () => string } {
  let server: Server | undefined;
  let origin = "";
  before(async () => {
    server = createServer((_request, response) => {
      response.setHeader("content-type", "text/html; charset=utf-8");
      response.end("<!doctype html><title>Application</title><h1>Back in the application</h1>");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The suite's server starts in the next before hook, with this in its environment.
    env.ALLOWED_RETURN_ORIGINS = origin;
  });
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  return { origin: () => origin };
}

describe("return_to in Chromium: login and its second step", { skip: browserSkipReason() }, () => {
  const env: Record<string, string> = {};
  const application = applicationServer(env);
  const suite = chromiumSuite(env);
  const password = "b4l0u-return";

  test("a login sent from an application goes back to it; a foreign return_to to /account", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser-return@example.com";
    await request(server.url, "POST", "/users", { form: { email, password } });
    const page = await suite.newPage();
    const place = `${application.origin()}/after-login?state=abc`;

    await page.goto(`${server.url}/account/login?return_to=${encodeURIComponent(place)}`);
    await logInHere(page, email, password);
    await arriveAt(page, place);
    assert.equal(await page.locator("h1").textContent(), "Back in the application");

    await page.context().clearCookies();
    await page.goto(
      `${server.url}/account/login?return_to=${encodeURIComponent("//evil.example/x")}`,
    );
    await logInHere(page, email, password);
    await arriveAt(page, `${server.url}/account`);
    assert.deepEqual(suite.cspViolations, []);
  });

  test("through the second step", { timeout: 120_000 }, async () => {
    const { server } = suite;
    const email = "browser-return-2fa@example.com";
    await request(server.url, "POST", "/users", { form: { email, password } });
    const signedIn = await request(server.url, "POST", "/sessions", { form: { email, password } });
    const { secret } = await turnOnTotp(
      server.url,
      `session_id=${sessionCookieOf(signedIn)}`,
      password,
    );
    const page = await suite.newPage();
    const place = `${application.origin()}/after-2fa`;

    await page.goto(`${server.url}/account/login?return_to=${encodeURIComponent(place)}`);
    await logInHere(page, email, password);
    // A wrong code first: the page comes back, still carrying the place.
    await page.getByLabel("Code from your app").fill(wrongTotpCode(secret));
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.getByRole("alert").waitFor({ timeout: 10_000 });
    // The next step's code: the one just refused may have been the current one by chance.
    const later = new Date(Date.now() + 30_000);
    await page.getByLabel("Code from your app").fill(totpCode(secret, later));
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await arriveAt(page, place);
    assert.deepEqual(suite.cspViolations, []);
  });
});

describe("return_to in Chromium: a registration that must verify its address first", {
  skip: browserSkipReason(),
}, () => {
  const env: Record<string, string> = { EMAIL_VERIFICATION: "required" };
  const application = applicationServer(env);
  const suite = chromiumSuite(env);

  test("register, verify by the link, log in: back in the application", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser-return-verify@example.com";
    const password = "b4l0u-verify";
    const place = `${application.origin()}/after-registration`;
    const page = await suite.newPage();

    await page.goto(`${server.url}/account/register?return_to=${encodeURIComponent(place)}`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("status").waitFor({ timeout: 10_000 });
    // Development shows the link the mail would carry; it is followed in this browser.
    await page.getByRole("button", { name: "Send a new link" }).click();
    const link = page.locator("#verification-link");
    await link.waitFor({ timeout: 10_000 });
    await link.click();
    await page.getByRole("button", { name: "Verify my email address" }).click();
    await arriveAt(page, /\/account\/login\?done=verified-log-in$/);
    await logInHere(page, email, password);
    await arriveAt(page, place);
    // Used up: the cookie that kept the place is gone.
    const kept = (await page.context().cookies()).filter((cookie) => cookie.name === "return_to");
    assert.deepEqual(kept, []);
    assert.deepEqual(suite.cspViolations, []);
  });

  test("a login refused for an unverified address keeps the place in its forms", {
    timeout: 120_000,
  }, async () => {
    const { server } = suite;
    const email = "browser-return-unverified@example.com";
    const password = "b4l0u-unverified";
    await request(server.url, "POST", "/users", { form: { email, password } });
    const page = await suite.newPage();
    const place = `${application.origin()}/later`;
    await page.goto(`${server.url}/account/login?return_to=${encodeURIComponent(place)}`);
    await logInHere(page, email, password);
    await page.getByRole("alert").waitFor({ timeout: 10_000 });
    assert.equal(
      await page.locator('input[name="return_to"]').first().getAttribute("value"),
      place,
    );
  });
});

async function logInHere(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}
