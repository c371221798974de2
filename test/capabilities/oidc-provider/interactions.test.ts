import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as client from "openid-client";
import type { Page } from "playwright-core";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { browserSkipReason, chromiumSuite } from "../../helpers/browser.js";
import { request, signedInUser } from "../../helpers/http.js";
import { turnOnTotp } from "../../helpers/totp.js";
import { catchRedirect, codeFlowStart, discover, logIn, oauthError, REDIRECT } from "./helpers.js";

const T = { timeout: 120_000 };
const skip = browserSkipReason();

describe("the OpenID provider's interactions, refusals and coupling", { skip }, () => {
  /** Its server and Chromium, started before the tests and closed after. */
  const suite = chromiumSuite();
  const newPage = (): Promise<Page> => suite.newPage();
  const confidential = async (options: { firstParty?: boolean; logout?: string } = {}) => {
    const made = await suite.server.service.oidc.clients.create({
      name: "Some App",
      redirectUris: [REDIRECT],
      postLogoutRedirectUris: options.logout ? [options.logout] : [],
      firstParty: options.firstParty,
    });
    return discover(suite.server, made.clientId, made.clientSecret);
  };
  /** A signed-in flow through Chromium to the tokens, the page left signed in. */
  const signIn = async (config: client.Configuration, email: string, password: string) => {
    const { url, checks } = await codeFlowStart(config);
    const page = await newPage();
    const landed = await catchRedirect(page);
    await page.goto(url.href);
    await logIn(page, email, password);
    const tokens = await client.authorizationCodeGrant(config, await landed(), checks);
    return { page, tokens };
  };

  test(
    "a public client without PKCE is refused; a wrong redirect URI gets an error page, no redirect",
    T,
    async () => {
      const made = await suite.server.service.oidc.clients.create({
        name: "spa",
        redirectUris: [REDIRECT],
        isPublic: true,
      });
      const base = `http://localhost:${suite.server.port}/oidc/auth`;
      const params = {
        client_id: made.clientId,
        response_type: "code",
        scope: "openid",
        state: "s",
      };
      const noPkce = await fetch(
        `${base}?${new URLSearchParams({ ...params, redirect_uri: REDIRECT })}`,
        {
          redirect: "manual",
        },
      );
      const location = new URL(noPkce.headers.get("location") ?? "", base);
      assert.equal(location.origin + location.pathname, REDIRECT);
      assert.equal(location.searchParams.get("error"), "invalid_request");
      assert.match(location.searchParams.get("error_description") ?? "", /PKCE/);
      const wrong = await fetch(
        `${base}?${new URLSearchParams({ ...params, redirect_uri: "http://rp.test/other", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" })}`,
        { redirect: "manual" },
      );
      assert.equal(wrong.status, 400);
      assert.equal(wrong.headers.get("location"), null);
      assert.match(await wrong.text(), /redirect_uri/);
    },
  );

  test(
    "consent for a third-party client: Deny answers access_denied, Allow a code",
    T,
    async () => {
      const { email, password } = await signedInUser(suite.server.url);
      const config = await confidential();
      for (const choice of ["Deny", "Allow"] as const) {
        const { url, checks } = await codeFlowStart(config);
        const page = await newPage();
        const landed = await catchRedirect(page);
        await page.goto(url.href);
        await logIn(page, email, password);
        await page.waitForSelector("text=Some App");
        await page.click(`button:has-text("${choice}")`);
        const back = await landed();
        if (choice === "Deny") {
          assert.equal(back.searchParams.get("error"), "access_denied");
        } else {
          const tokens = await client.authorizationCodeGrant(config, back, checks);
          assert.ok(tokens.claims()?.sub);
        }
      }
    },
  );

  test("the TOTP second step inside the flow; prompt=login asks again", T, async () => {
    const { email, password, cookie } = await signedInUser(suite.server.url);
    const { secret } = await turnOnTotp(suite.server.url, cookie, password);
    const config = await confidential({ firstParty: true });
    const { url, checks } = await codeFlowStart(config);
    const page = await newPage();
    const landed = await catchRedirect(page);
    await page.goto(url.href);
    await logIn(page, email, password);
    // The confirmation spent the current code: the next one (one step of drift is allowed).
    await page.fill('input[name="code"]', totpCode(secret, new Date(Date.now() + 30_000)));
    await page.click('form:has(input[name="code"]) button[type="submit"]');
    const tokens = await client.authorizationCodeGrant(config, await landed(), checks);
    assert.ok(tokens.claims()?.sub);
    // Signed in already: prompt=login still shows the login page.
    const again = await codeFlowStart(config, { prompt: "login" });
    await page.goto(again.url.href);
    await page.waitForURL(/\/account\/login/);
  });

  test(
    "logging out of the service refuses the refresh token; RP-initiated logout ends the service session",
    T,
    async () => {
      const { email, password } = await signedInUser(suite.server.url);
      // A registered URI whose path looks like the provider's own (an account
      // switch resumes at /oidc/auth/...) is still an application's: its
      // logout ends the service's session.
      const bye = "http://rp.test/oidc/auth/bye";
      const config = await confidential({ firstParty: true, logout: bye });
      const first = await signIn(config, email, password);
      assert.ok(first.tokens.refresh_token);
      // Logging out on the service's page.
      await first.page.goto(`${suite.server.url.replace("127.0.0.1", "localhost")}/account`);
      await first.page.click('form[action="/account/logout"] button');
      await first.page.waitForURL(/\/account\/login/);
      await assert.rejects(
        client.refreshTokenGrant(config, first.tokens.refresh_token),
        oauthError("invalid_grant"),
      );
      const afterLogout = await client.tokenIntrospection(config, first.tokens.access_token);
      assert.equal(afterLogout.active, false, "the access token is inactive after the logout");
      // RP-initiated logout: the service's cookie ends with the provider's session.
      const second = await signIn(config, email, password);
      const endUrl = client.buildEndSessionUrl(config, {
        id_token_hint: second.tokens.id_token ?? "",
        post_logout_redirect_uri: bye,
      });
      await second.page.goto(endUrl.href);
      await second.page.click('button[value="yes"]');
      await second.page.waitForURL(/rp\.test\/oidc\/auth\/bye/);
      const cookies = await second.page.context().cookies();
      const session = cookies.find((c) => c.name === "session_id");
      const account = await request(suite.server.url, "GET", "/account", {
        cookie: session ? `session_id=${session.value}` : "",
      });
      assert.equal(account.status, 303);
    },
  );

  test("a password reset and a deletion refuse the user's refresh tokens", T, async () => {
    const { email, password } = await signedInUser(suite.server.url);
    const config = await confidential({ firstParty: true });
    const { tokens } = await signIn(config, email, password);
    const token = await suite.server.service.auth.getResetPasswordToken(email);
    await suite.server.service.auth.updatePassword(token, "another strong passphrase");
    await assert.rejects(
      client.refreshTokenGrant(config, tokens.refresh_token ?? ""),
      oauthError("invalid_grant"),
    );
    const afterReset = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(afterReset.active, false, "the access token is inactive after the reset");
    const later = await signIn(config, email, "another strong passphrase");
    const rotated = await client.refreshTokenGrant(config, later.tokens.refresh_token ?? "");
    await suite.server.service.auth.deleteUser(email);
    await assert.rejects(
      client.refreshTokenGrant(config, rotated.refresh_token ?? ""),
      oauthError("invalid_grant"),
    );
  });

  test(
    "signing in again right after a take-back, in the same browser and second, works",
    T,
    async () => {
      const { email, password } = await signedInUser(suite.server.url);
      const config = await confidential({ firstParty: true });
      const first = await signIn(config, email, password);
      // The take-back (a logout on the service's page) and, at once, the next
      // sign-in in the same browser: its old provider session is gone, so the
      // login page comes, and the new session is not taken for an old one.
      await first.page.goto(`${suite.server.url.replace("127.0.0.1", "localhost")}/account`);
      await first.page.click('form[action="/account/logout"] button');
      await first.page.waitForURL(/\/account\/login/);
      const { url, checks } = await codeFlowStart(config);
      const landed = await catchRedirect(first.page);
      await first.page.goto(url.href);
      await logIn(first.page, email, password);
      const tokens = await client.authorizationCodeGrant(config, await landed(), checks);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? "");
      assert.ok(refreshed.access_token);
      // A password reset, then a sign-in through the API path at once.
      const reset = await suite.server.service.auth.getResetPasswordToken(email);
      await suite.server.service.auth.updatePassword(reset, "another strong passphrase");
      await assert.rejects(
        client.refreshTokenGrant(config, refreshed.refresh_token ?? ""),
        oauthError("invalid_grant"),
      );
      const again = await signIn(config, email, "another strong passphrase");
      assert.ok(await client.refreshTokenGrant(config, again.tokens.refresh_token ?? ""));
    },
  );

  test(
    "the refresh race: two refreshes of one token, at most one wins, and the grant is revoked",
    T,
    async () => {
      const { email, password } = await signedInUser(suite.server.url);
      const config = await confidential({ firstParty: true });
      const { tokens } = await signIn(config, email, password);
      const both = await Promise.allSettled([
        client.refreshTokenGrant(config, tokens.refresh_token ?? ""),
        client.refreshTokenGrant(config, tokens.refresh_token ?? ""),
      ]);
      const won = both.filter((result) => result.status === "fulfilled");
      assert.ok(won.length <= 1, "never two new refresh tokens from one");
      const lost = both.find((result) => result.status === "rejected");
      assert.ok(lost && oauthError("invalid_grant")(lost.reason));
      if (won[0]?.status === "fulfilled")
        await assert.rejects(
          client.refreshTokenGrant(config, won[0].value.refresh_token ?? ""),
          oauthError("invalid_grant"),
        );
    },
  );
});
