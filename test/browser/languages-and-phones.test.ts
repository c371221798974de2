import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { MISSING_MARK } from "../../src/platform/i18n/catalogue.js";
import { LANGUAGES } from "../../src/platform/i18n/languages.js";
import { axeViolations } from "../helpers/axe.js";
import { browserSkipReason, launchChromium } from "../helpers/browser.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { turnOnTotp } from "../helpers/totp.js";

// Every hosted page, in every language, on a 360 px wide phone, in the light
// and the dark colour scheme, in Chromium: <html lang> says the language, no
// message is missing (the catalogue's mark), nothing scrolls sideways, axe
// finds no WCAG 2.1 A/AA violation, the CSP reports nothing, and no sentence
// of three words or more is the same as on the English page (a word left
// untranslated in a view).

const PHONE = { width: 360, height: 740 };

describe("every hosted page in every language, at 360 px, light and dark", {
  skip: browserSkipReason(),
}, () => {
  let server: TestServer;
  let required: TestServer;
  let browser: Browser;
  const password = "b4l0u-phones";
  const email = "phones@example.com";
  const mfaEmail = "phones-2fa@example.com";
  const unverified = "phones-unverified@example.com";
  let session = "";
  let mfaSession = "";
  let recoveryCodes: string[] = [];

  async function signIn(url: string, who: string, agent: string): Promise<string> {
    const response = await request(url, "POST", "/sessions", {
      form: { email: who, password },
      headers: { "user-agent": agent },
    });
    return sessionCookieOf(response) ?? "";
  }

  before(async () => {
    server = await startTestServer({ EMAIL_VERIFICATION: "optional" });
    required = await startTestServer({ EMAIL_VERIFICATION: "required" });
    browser = await launchChromium();
    for (const who of [email, mfaEmail])
      await request(server.url, "POST", "/users", { form: { email: who, password } });
    await request(required.url, "POST", "/users", { form: { email: unverified, password } });
    await signIn(
      server.url,
      email,
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Safari/604.1",
    );
    session = await signIn(
      server.url,
      email,
      "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0 Safari/537.36",
    );
    mfaSession = await signIn(server.url, mfaEmail, "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0");
    ({ recoveryCodes } = await turnOnTotp(server.url, `session_id=${mfaSession}`, password));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await required?.close();
  });

  interface Check {
    /** Brings the page to the state under test; `base` is the server's URL. */
    reach(page: Page): Promise<void>;
    /** A session token to carry, or none. */
    session?: () => string;
    /** The server (default: verification optional). */
    on?: () => TestServer;
  }

  /** The texts of the page's elements, trimmed, of three words or more. */
  async function sentences(page: Page): Promise<string[]> {
    const texts = await page
      .locator("body *:not(script):not(style)")
      .evaluateAll((elements) =>
        elements.flatMap((element) =>
          [...element.childNodes]
            .filter((node) => node.nodeType === 3)
            .map((node) => (node.textContent ?? "").replaceAll(/\s+/g, " ").trim()),
        ),
      );
    return texts.filter((text) => text.split(" ").length >= 3);
  }

  async function run({ reach, session: token, on }: Check): Promise<void> {
    const target = on?.() ?? server;
    const problems: string[] = [];
    const english = new Set<string>();
    for (const language of LANGUAGES) {
      for (const colorScheme of ["light", "dark"] as const) {
        const context = await browser.newContext({ colorScheme, viewport: PHONE });
        try {
          const cookies: Array<{ name: string; value: string; url: string }> = [
            { name: "lang", value: language, url: target.url },
          ];
          const value = token?.();
          if (value) cookies.push({ name: "session_id", value, url: target.url });
          await context.addCookies(cookies);
          const page = await context.newPage();
          page.on("console", (message) => {
            if (/Content Security Policy/i.test(message.text()))
              problems.push(`${language} ${colorScheme}: CSP: ${message.text()}`);
          });
          await reach(page);
          const where = `${language} ${colorScheme} ${page.url()}`;
          const lang = await page.locator("html").getAttribute("lang");
          if (lang !== language) problems.push(`${where}: <html lang="${lang}">`);
          if ((await page.content()).includes(MISSING_MARK))
            problems.push(`${where}: a message is missing`);
          const [scrollWidth, clientWidth] = (await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
          )) as [number, number];
          if (scrollWidth > clientWidth)
            problems.push(`${where}: ${scrollWidth} px wide on a ${clientWidth} px screen`);
          for (const violation of await axeViolations(page))
            problems.push(`${where}: ${violation}`);
          if (colorScheme === "light") {
            const texts = await sentences(page);
            if (language === "en") for (const text of texts) english.add(text);
            else
              for (const text of texts)
                if (english.has(text)) problems.push(`${where}: still English: "${text}"`);
          }
        } finally {
          await context.close();
        }
      }
    }
    assert.deepEqual(problems, []);
  }

  const at = (path: string) => async (page: Page) => {
    await page.goto(`${server.url}${path}`);
  };
  /** Submits the page's form by its submit button's position (its label is in the page's language). */
  const submit = async (page: Page, form: string) => {
    await page.locator(`${form} button[type=submit]`).first().click();
  };

  test("register", { timeout: 120_000 }, () => run({ reach: at("/account/register") }));
  test("log in", { timeout: 120_000 }, () => run({ reach: at("/account/login?done=registered") }));
  test("log in, a wrong password", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account/login`);
        await page.locator("#email").fill("someone@example.com");
        await page.locator("#password").fill("not the password");
        await submit(page, 'form[action="/account/login"]');
        await page.getByRole("alert").waitFor({ timeout: 10_000 });
      },
    }),
  );
  test("forgot, with development's link", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account/forgot`);
        await page.locator("#email").fill(email);
        await submit(page, 'form[action="/account/forgot"]');
        await page.locator("#reset-link").waitFor({ timeout: 10_000 });
      },
    }),
  );
  test("reset, with a token", { timeout: 120_000 }, () =>
    run({ reach: at("/account/reset?token=an-unused-token") }),
  );
  test("reset, without one", { timeout: 120_000 }, () => run({ reach: at("/account/reset") }));
  test("account, two sessions, unverified, email change", { timeout: 120_000 }, () =>
    run({ reach: at("/account"), session: () => session }),
  );
  test("account, two-factor authentication on", { timeout: 120_000 }, () =>
    run({ reach: at("/account"), session: () => mfaSession }),
  );
  test("log in, the second step", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account/login`);
        await page.locator("#email").fill(mfaEmail);
        await page.locator("#password").fill(password);
        await submit(page, 'form[action="/account/login"]');
        await page.locator("#code").waitFor({ timeout: 10_000 });
      },
    }),
  );
  test("set up two-factor authentication", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account`);
        await submit(page, 'form[action="/account/mfa/setup"]');
        await page.locator("#totp-secret").waitFor({ timeout: 10_000 });
      },
      session: () => session,
    }),
  );
  test("new recovery codes, shown once", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account`);
        await page.locator("#recovery_codes_password").fill(password);
        await page.locator("#recovery_codes_code").fill(recoveryCodes.pop() ?? "");
        await submit(page, 'form[action="/account/mfa/recovery-codes"]');
        await page.locator("#recovery-codes").waitFor({ timeout: 10_000 });
        const shown = (await page.locator("#recovery-codes").textContent()) ?? "";
        recoveryCodes = shown.match(/[0-9a-z]{5}-[0-9a-z]{5}/gi) ?? [];
      },
      session: () => mfaSession,
    }),
  );
  test("verify, the page a link opens", { timeout: 120_000 }, () =>
    run({ reach: at("/account/verify?token=an-unused-token") }),
  );
  test("verify, a link that no longer works", { timeout: 120_000 }, () =>
    run({
      reach: async (page) => {
        await page.goto(`${server.url}/account/verify?token=an-unknown-token`);
        await submit(page, 'main form[action="/account/verify"]');
        await page.getByRole("alert").waitFor({ timeout: 10_000 });
      },
    }),
  );
  test("confirm a new email, the page a link opens", { timeout: 120_000 }, () =>
    run({ reach: at("/account/email/confirm?token=an-unused-token") }),
  );
  test("download your data, the confirmation", { timeout: 120_000 }, () =>
    run({ reach: at("/account/export"), session: () => session }),
  );
  test("delete your account, the confirmation (with a code field)", { timeout: 120_000 }, () =>
    run({ reach: at("/account/delete"), session: () => mfaSession }),
  );
  test("log in, refused for an unverified address, and a new link", { timeout: 120_000 }, () =>
    run({
      on: () => required,
      reach: async (page) => {
        await page.goto(`${required.url}/account/login`);
        await page.locator("#email").fill(unverified);
        await page.locator("#password").fill(password);
        await submit(page, 'form[action="/account/login"]');
        await page.getByRole("alert").waitFor({ timeout: 10_000 });
        await submit(page, 'main form[action="/account/verification"]');
        await page.locator("#verification-link").waitFor({ timeout: 10_000 });
      },
    }),
  );

  test("the switcher sets the language and returns to the page", { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/account/login?done=registered`);
      await page.getByRole("button", { name: "Deutsch" }).click();
      await page.locator('html[lang="de"]').waitFor({ timeout: 10_000 });
      assert.equal(new URL(page.url()).pathname, "/account/login");
      assert.equal(await page.locator("html").getAttribute("lang"), "de");
      assert.equal(await page.locator("h1").textContent(), "Anmelden");
      assert.equal(
        await page.getByRole("button", { name: "Deutsch" }).getAttribute("aria-pressed"),
        "true",
      );
    } finally {
      await context.close();
    }
  });
});

// Accept-Language and DEFAULT_LANGUAGE, without a browser.
describe("the language without the switcher's cookie", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ DEFAULT_LANGUAGE: "fr" });
  });
  after(() => server?.close());

  const langOf = async (headers: Record<string, string>): Promise<string> => {
    const page = await request(server.url, "GET", "/account/login", { headers });
    return /<html lang="([^"]+)">/.exec(page.text)?.[1] ?? "";
  };

  test("Accept-Language picks the best supported one; none: DEFAULT_LANGUAGE", async () => {
    assert.equal(await langOf({ "accept-language": "es-MX,es;q=0.9,en;q=0.5" }), "es");
    assert.equal(await langOf({ "accept-language": "ja, de-AT;q=0.8, en;q=0.5" }), "de");
    assert.equal(await langOf({ "accept-language": "ja, zh" }), "fr");
    assert.equal(await langOf({}), "fr");
    assert.equal(await langOf({ "accept-language": "*" }), "fr");
    // The switcher's cookie wins over the header.
    assert.equal(await langOf({ "accept-language": "de", cookie: "lang=es" }), "es");
    assert.equal(await langOf({ "accept-language": "de", cookie: "lang=xx" }), "de");
  });

  test("JSON answers stay English", async () => {
    const response = await request(server.url, "POST", "/sessions", {
      form: { email: "nobody@example.com", password: "wrong password" },
      headers: { "accept-language": "de", cookie: "lang=de" },
    });
    assert.equal(response.status, 401);
    assert.match(response.text, /"message":"[a-z]/);
    assert.doesNotMatch(response.text, /Passwort|falsch/);
  });
});
