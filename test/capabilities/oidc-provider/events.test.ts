import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import type { Browser } from "playwright-core";
import { browserSkipReason, launchChromium } from "../../helpers/browser.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  startWebhookReceiver,
  type WebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";
import { catchRedirect, codeFlowStart, discover, logIn, REDIRECT } from "./helpers.js";

const T = { timeout: 120_000 };
const skip = browserSkipReason();

describe("the OpenID provider's events: consent, user grants, take-back revocations", {
  skip,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({ WEBHOOK_RETRY_BASE: "200ms" });
    browser = await launchChromium();
    await server.service.webhooks.add(receiver.url, [
      "oauth.consent.granted",
      "oauth.token.revoked",
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });
  const hooksOf = (type: string) =>
    receiver.received
      .map((hook) => JSON.parse(hook.body) as { type: string; data: Record<string, unknown> })
      .filter((hook) => hook.type === type);

  test(
    "consent: audit row and oauth.consent.granted (user, client, scopes); the grant audited; a logout's revocation too",
    T,
    async () => {
      const { email, password } = await signedInUser(server.url);
      const made = await server.service.oidc.clients.create({
        name: "Third party",
        redirectUris: [REDIRECT],
      });
      const config = await discover(server, made.clientId, made.clientSecret);
      const { url, checks } = await codeFlowStart(config, { scope: "openid email offline_access" });
      const page = await (await browser.newContext()).newPage();
      const landed = await catchRedirect(page);
      await page.goto(url.href);
      await logIn(page, email, password);
      await page.click('button:has-text("Allow")');
      const tokens = await client.authorizationCodeGrant(config, await landed(), checks);
      assert.ok(tokens.access_token);

      await waitFor(() => hooksOf("oauth.consent.granted").length > 0, "the consent's webhook");
      const consent = hooksOf("oauth.consent.granted")[0]?.data ?? {};
      assert.equal((consent.user as { email: string }).email, email);
      assert.equal(consent.client_id, made.clientId);
      assert.deepEqual(consent.scopes, ["openid", "email", "offline_access"]);

      // The take-back: logging out of the service revokes the provider's tokens.
      await page.goto(`http://localhost:${server.port}/account`);
      await page.click('form[action="/account/logout"] button');
      await waitFor(() => hooksOf("oauth.token.revoked").length > 0, "the take-back's webhook");
      const revoked = hooksOf("oauth.token.revoked")[0]?.data ?? {};
      assert.equal(revoked.reason, "take_back");
      assert.equal((revoked.user as { email: string }).email, email);

      await server.service.audit.flush();
      const rows = await server.service.audit.list({ email });
      const names: string[] = rows.map((row) => row.event);
      for (const name of ["oauth_consent_granted", "oauth_grant_issued", "oauth_token_revoked"])
        assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
      const granted = rows.find((row) => row.event === "oauth_grant_issued");
      assert.equal(granted?.outcome, `client ${made.clientId}: authorization_code`);
      assert.equal(rows.find((row) => row.event === "oauth_token_revoked")?.outcome, "take_back");
      assert.ok(!JSON.stringify(rows).includes(tokens.access_token));
      assert.ok(!receiver.received.some((hook) => hook.body.includes(tokens.access_token)));
    },
  );
});
