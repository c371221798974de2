import { existsSync } from "node:fs";
import { after, before } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "./server.js";

/** Debian's Chromium (`apt-get install chromium`); Playwright's own download cannot work here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * For a browser suite's `skip`: false when Chromium is there, else why not;
 * with REQUIRE_SERVICES=1 a missing Chromium throws instead of skipping.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`browser tests required: ${reason}`);
  return reason;
}

/** A headless Chromium, the one at CHROMIUM. Close it at the end. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** Where a watched page reports what went wrong; a test asserts both stay empty. */
export interface PageProblems {
  /** Console messages about the Content-Security-Policy. */
  cspViolations: string[];
  /** Sub-resources (stylesheet, icon) that failed: a page should ask for nothing that is missing. */
  failedResources: string[];
}

/** Records the page's CSP reports and its failed sub-resources (4xx, 5xx; not the document) in `problems`. */
export function watchPage(page: Page, problems: PageProblems): void {
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text()))
      problems.cspViolations.push(message.text());
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== "document")
      problems.failedResources.push(`${response.status()} ${response.url()}`);
  });
}

/** A page in a context of its own (a device: its own cookies), 900×640, watched into `problems`. */
export async function newWatchedPage(browser: Browser, problems: PageProblems): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  watchPage(page, problems);
  return page;
}

/** What chromiumSuite gives a describe: its server, and pages watched into its problem lists. */
export interface ChromiumSuite extends PageProblems {
  /** The test server; there once the suite's before hook has run. */
  readonly server: TestServer;
  /** A page in a context of its own (a device), watched into cspViolations and failedResources. */
  newPage(): Promise<Page>;
}

/**
 * Call inside a describe: its before hook starts a test server (over `env`)
 * and Chromium, its after hook closes both.
 */
export function chromiumSuite(env: Record<string, string> = {}): ChromiumSuite {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const cspViolations: string[] = [];
  const failedResources: string[] = [];

  before(async () => {
    server = await startTestServer(env);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    cspViolations,
    failedResources,
    get server(): TestServer {
      if (!server) throw new Error("the suite's server is not started yet (use it in a test)");
      return server;
    },
    newPage(): Promise<Page> {
      if (!browser) throw new Error("the suite's Chromium is not launched yet (use it in a test)");
      return newWatchedPage(browser, { cspViolations, failedResources });
    },
  };
}

/** Waits for the page to reach `url`; on timeout, says where it is and what it shows. */
export async function arriveAt(page: Page, url: string | RegExp): Promise<void> {
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

/**
 * Waits for the field with this id to have the focus. A CSS :focus selector,
 * not waitForFunction: its polling evaluates a string in the page, which the
 * CSP (no 'unsafe-eval') refuses.
 */
export async function hasFocus(page: Page, id: string): Promise<void> {
  await page.locator(`#${id}:focus`).waitFor({ timeout: 10_000 });
}

/** Fills a hosted page's email and password fields and presses its `button`; does not wait for where it leads. */
async function sendCredentials(
  page: Page,
  url: string,
  { email, password }: { email: string; password: string },
  button: string,
): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: button }).click();
}

/** Sends the registration form of the server at `baseUrl`; does not wait for where it leads. */
export function register(
  page: Page,
  baseUrl: string,
  email: string,
  password: string,
): Promise<void> {
  return sendCredentials(
    page,
    `${baseUrl}/account/register`,
    { email, password },
    "Create account",
  );
}

/** Sends the login form of the server at `baseUrl`; does not wait for where it leads. */
export function logIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  return sendCredentials(page, `${baseUrl}/account/login`, { email, password }, "Log in");
}
