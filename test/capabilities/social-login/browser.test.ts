import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import {
  arriveAt,
  browserSkipReason,
  launchChromium,
  newWatchedPage,
  type PageProblems,
} from "../../helpers/browser.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { turnOnTotp } from "../../helpers/totp.js";
import { catchRedirect, codeFlowStart, discover, REDIRECT } from "../oidc-provider/helpers.js";
import { startUpstream, type Upstream } from "./upstream.js";

const PASSWORD = "b4l0u-social-browser";
const T = { timeout: 120_000 };

/**
 * Social login in Chromium at http://localhost:<port>, the upstream a real
 * oidc-provider at 127.0.0.1 (another site: its own cookies).
 */
describe("social login in Chromium", { skip: browserSkipReason() }, () => {
  let server: TestServer;
  let upstream: Upstream;
  let browser: Browser;
  let base: string;
  const problems: PageProblems = { cspViolations: [], failedResources: [] };

  before(async () => {
    server = await startTestServer({ LOGIN_IP_MAX_FAILURES: "0" });
    base = `http://localhost:${server.port}`;
    upstream = await startUpstream([`${base}/login/up/callback`]);
    await server.service.auth.socialLogin.providers.add({
      id: "up",
      name: "Upstream ID",
      kind: "oidc",
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await upstream?.close();
    await server?.close();
  });

  const continueWith = (page: Page) =>
    page.getByRole("link", { name: "Continue with Upstream ID" }).click();

  test(
    "a new account through the login page goes back to return_to; /account lists it; a forged state is a 400 page",
    T,
    async () => {
      upstream.signInAs({ sub: "b-new", email: "b-new@example.com", email_verified: true });
      const page = await newWatchedPage(browser, problems);
      await page.goto(`${base}/account/login?return_to=${encodeURIComponent("/account?from=app")}`);
      await continueWith(page);
      await arriveAt(page, `${base}/account?from=app`);
      assert.match((await page.locator("#identities").textContent()) ?? "", /b-new@example\.com/);
      // The registration page offers it too.
      await page.goto(`${base}/account/register`);
      await page.getByRole("link", { name: "Continue with Upstream ID" }).waitFor();

      const forged = await page.goto(`${base}/login/up/callback?code=x&state=${"A".repeat(43)}`);
      assert.equal(forged?.status(), 400);
      assert.match((await page.locator("main").textContent()) ?? "", /could not be completed/);
      assert.deepEqual(problems.cspViolations, []);
      await page.context().close();
    },
  );

  test(
    "an existing email: its password on its own page before the link, then its TOTP after the upstream sign-in; a replayed callback is refused; unlink",
    T,
    async () => {
      const email = "b-owner@example.com";
      assert.equal(
        (await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } }))
          .status,
        200,
      );
      upstream.signInAs({ sub: "b-owner", email, email_verified: true });
      const page = await newWatchedPage(browser, problems);
      await page.goto(`${base}/account/login`);
      await continueWith(page);
      await page.getByLabel("Password").waitFor();
      assert.equal(
        (await page.context().cookies(base)).some((c) => c.name === "session_id"),
        false,
      );
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Link and sign in" }).click();
      await arriveAt(page, `${base}/account`);
      assert.match((await page.locator("#identities").textContent()) ?? "", /Upstream ID/);
      const session = (await page.context().cookies(base)).find((c) => c.name === "session_id");
      const { secret } = await turnOnTotp(server.url, `session_id=${session?.value}`, PASSWORD);

      // Another device: the upstream sign-in, then the account's code.
      const device = await newWatchedPage(browser, problems);
      let callbackUrl = "";
      device.on("request", (sent) => {
        if (sent.url().includes("/login/up/callback")) callbackUrl = sent.url();
      });
      await device.goto(`${base}/account/login`);
      await continueWith(device);
      await device.getByLabel("Code").first().waitFor();
      assert.equal(
        (await device.context().cookies(base)).some((c) => c.name === "session_id"),
        false,
      );
      await device
        .getByLabel("Code")
        .first()
        .fill(totpCode(secret, new Date(Date.now() + 30_000)));
      await device
        .getByRole("button", { name: /verify|continue|log in/i })
        .first()
        .click();
      await arriveAt(device, `${base}/account`);

      // That callback once more, in a third browser: refused, no session.
      const replay = await newWatchedPage(browser, problems);
      const replayed = await replay.goto(callbackUrl);
      assert.equal(replayed?.status(), 400);
      assert.equal(
        (await replay.context().cookies(base)).some((c) => c.name === "session_id"),
        false,
      );

      // Unlink on /account, with the password.
      await page.goto(`${base}/account`);
      await page.getByLabel("Password to unlink Upstream ID").fill(PASSWORD);
      await page.getByRole("button", { name: "Unlink" }).click();
      await arriveAt(page, `${base}/account#identities`);
      assert.match((await page.locator("#identities").textContent()) ?? "", /None linked yet/);
      for (const context of [page, device, replay]) await context.context().close();
    },
  );

  test(
    "inside an OpenID interaction, Continue with ... signs in and goes on to the application",
    T,
    async () => {
      upstream.signInAs({ sub: "b-rp", email: "b-rp@example.com", email_verified: true });
      const { clientId, clientSecret } = await server.service.oidc.clients.create({
        name: "first-party app",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      const config = await discover(server, clientId, clientSecret);
      const { url } = await codeFlowStart(config);
      const page = await newWatchedPage(browser, problems);
      const landed = await catchRedirect(page);
      await page.goto(url.href);
      await arriveAt(page, /\/account\/login/);
      await continueWith(page);
      const back = await landed();
      assert.ok(back.searchParams.get("code"), back.href);
      await page.context().close();
    },
  );
});
