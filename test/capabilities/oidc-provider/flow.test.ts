import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as client from "openid-client";
import { browserSkipReason, chromiumSuite } from "../../helpers/browser.js";
import {
  catchRedirect,
  codeFlowStart,
  discover,
  logIn,
  oauthError,
  PASSWORD,
  REDIRECT,
} from "./helpers.js";

const T = { timeout: 120_000 };
const skip = browserSkipReason();

describe("the OpenID provider, with openid-client as relying party", { skip }, () => {
  /** Its server and Chromium, started before the tests and closed after. */
  const suite = chromiumSuite();

  test("discovery lists every endpoint, PAR, and S256 only", T, async () => {
    const { clientId, clientSecret } = await suite.server.service.oidc.clients.create({
      name: "rp",
      redirectUris: [REDIRECT],
    });
    const config = await discover(suite.server, clientId, clientSecret);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, `http://localhost:${suite.server.port}`);
    for (const key of [
      "jwks_uri",
      "authorization_endpoint",
      "token_endpoint",
      "userinfo_endpoint",
      "revocation_endpoint",
      "introspection_endpoint",
      "end_session_endpoint",
      "pushed_authorization_request_endpoint",
      "device_authorization_endpoint",
    ] as const)
      assert.ok(meta[key], key);
    assert.deepEqual(meta.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual(meta.response_types_supported, ["code"]);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    // Only the algorithms it holds keys for.
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ["RS256", "ES256"]);
    assert.ok(!(meta.grant_types_supported ?? []).includes("password"));
    assert.ok(!(meta.grant_types_supported ?? []).includes("implicit"));
    // The service's OpenAPI document leaves the provider's endpoints to discovery, and says where.
    const openapi = (await (await fetch(`${suite.server.url}/openapi.json`)).json()) as {
      externalDocs?: { url: string };
    };
    assert.equal(openapi.externalDocs?.url, "/.well-known/openid-configuration");
  });

  test(
    "code + PKCE through the login page: ID token, userinfo, refresh rotation, introspection, revocation",
    T,
    async () => {
      const email = "flow@example.com";
      const user = await suite.server.service.auth.createUser(email, PASSWORD);
      const { clientId, clientSecret } = await suite.server.service.oidc.clients.create({
        name: "first",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      const config = await discover(suite.server, clientId, clientSecret);
      const { url, checks } = await codeFlowStart(config);
      const page = await suite.newPage();
      const landed = await catchRedirect(page);
      await page.goto(url.href);
      await logIn(page, email);
      const back = await landed();
      assert.equal(back.searchParams.get("iss"), `http://localhost:${suite.server.port}`);
      const tokens = await client.authorizationCodeGrant(config, back, {
        ...checks,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      assert.ok(claims);
      assert.notEqual(claims.sub, email);
      assert.notEqual(claims.sub, String(user.id));
      assert.match(claims.sub, /^[A-Za-z0-9_-]{22}$/);
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.email, email);
      assert.equal(info.email_verified, false);
      // Refresh rotation: a new refresh token, the old one refused (and the grant with it).
      const first = tokens.refresh_token;
      assert.ok(first);
      const rotated = await client.refreshTokenGrant(config, first);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== first);
      await assert.rejects(client.refreshTokenGrant(config, first), oauthError("invalid_grant"));
      await assert.rejects(
        client.refreshTokenGrant(config, rotated.refresh_token),
        oauthError("invalid_grant"),
      );
      // Introspection and revocation, on a fresh grant's access token.
      const introspected = await client.tokenIntrospection(config, rotated.access_token);
      assert.equal(introspected.active, false, "the reused grant was revoked");
      const cc = await discover(
        suite.server,
        ...(Object.values(
          await suite.server.service.oidc.clients.create({
            name: "m2m",
            redirectUris: [],
            grants: ["client_credentials"],
          }),
        ) as [string, string]),
      );
      const machine = await client.clientCredentialsGrant(cc);
      assert.equal((await client.tokenIntrospection(cc, machine.access_token)).active, true);
      await client.tokenRevocation(cc, machine.access_token);
      assert.equal((await client.tokenIntrospection(cc, machine.access_token)).active, false);
    },
  );
});
