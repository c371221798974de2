import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as client from "openid-client";
import { browserSkipReason, chromiumSuite } from "../../helpers/browser.js";
import { signedInUser } from "../../helpers/http.js";
import { catchRedirect, discover, logIn, REDIRECT } from "./helpers.js";

const T = { timeout: 120_000 };
const skip = browserSkipReason();

describe("the OpenID provider's DPoP, PAR and device grant", { skip }, () => {
  /** Its server and Chromium, started before the tests and closed after. */
  const suite = chromiumSuite();

  test("DPoP: a client that sends proofs gets DPoP-bound tokens", T, async () => {
    const made = await suite.server.service.oidc.clients.create({
      name: "m2m",
      redirectUris: [],
      grants: ["client_credentials"],
    });
    const config = await discover(suite.server, made.clientId, made.clientSecret);
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair());
    const tokens = await client.clientCredentialsGrant(config, {}, { DPoP });
    assert.equal(tokens.token_type, "dpop");
    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.token_type, "DPoP");
    assert.ok((introspected.cnf as { jkt?: string } | undefined)?.jkt);
  });

  test("PAR: a pushed request's request_uri signs in through the login page", T, async () => {
    const { email, password } = await signedInUser(suite.server.url);
    const made = await suite.server.service.oidc.clients.create({
      name: "par",
      redirectUris: [REDIRECT],
      firstParty: true,
    });
    const config = await discover(suite.server, made.clientId, made.clientSecret);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: "openid email",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    assert.ok(
      url.searchParams.get("request_uri")?.startsWith("urn:ietf:params:oauth:request_uri:"),
    );
    const page = await suite.newPage();
    const landed = await catchRedirect(page);
    await page.goto(url.href);
    await logIn(page, email, password);
    const tokens = await client.authorizationCodeGrant(config, await landed(), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.ok(tokens.claims()?.sub);
  });

  test("device grant: the user types the code on the hosted page after signing in", T, async () => {
    const { email, password } = await signedInUser(suite.server.url);
    const made = await suite.server.service.oidc.clients.create({
      name: "TV",
      redirectUris: [],
      grants: ["device_code"],
      firstParty: true,
    });
    const config = await discover(suite.server, made.clientId, made.clientSecret);
    const device = await client.initiateDeviceAuthorization(config, { scope: "openid email" });
    const page = await suite.newPage();
    await page.goto(device.verification_uri);
    await page.fill('input[name="user_code"]', device.user_code);
    await page.click('button[type="submit"]');
    await page.click('button:has-text("Continue")');
    await logIn(page, email, password);
    await page.waitForSelector("text=You can go back to your device");
    const tokens = await client.pollDeviceAuthorizationGrant(config, {
      ...device,
      interval: 0,
    });
    assert.ok(tokens.claims()?.sub);
    const info = await client.fetchUserInfo(
      config,
      tokens.access_token,
      tokens.claims()?.sub ?? "",
    );
    assert.equal(info.email, email);
  });
});
