import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  oauthError,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 120_000 };
/** Rounds of each race: over PostgreSQL, without the check, most rounds issued twice. */
const ROUNDS = 12;

for (const factory of await testDatabases()) {
  describe(`codes and refresh tokens are single-use under racing requests, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    let server: TestServer;
    let config: client.Configuration;
    let user: { email: string; password: string };
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      const made = await server.service.oidc.clients.create({
        name: "First",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      config = await discover(server, made.clientId, made.clientSecret);
      user = await signedInUser(server.url);
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    /** A code at the relying party's callback, and what redeeming it needs. */
    const codeAtCallback = async (extra: Record<string, string> = { prompt: "" }) => {
      const jar: CookieJar = new Map();
      await serviceLogin(`http://localhost:${server.port}`, jar, user.email, user.password);
      const flow = await codeFlowStart(config, extra);
      return { callback: await followAuthorization(flow.url, jar), checks: flow.checks };
    };

    test("two redemptions of one code at once: never two sets of tokens", T, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { callback, checks } = await codeAtCallback();
        const both = await Promise.allSettled([
          client.authorizationCodeGrant(config, callback, checks),
          client.authorizationCodeGrant(config, callback, checks),
        ]);
        const won = both.filter((result) => result.status === "fulfilled");
        assert.ok(won.length <= 1, `round ${round}: the code was redeemed twice`);
        for (const result of both)
          if (result.status === "rejected")
            assert.ok(oauthError("invalid_grant")(result.reason), String(result.reason));
      }
    });

    test("two refreshes of one token at once: never two new refresh tokens", T, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        // offline_access needs the consent prompt for a refresh token.
        const { callback, checks } = await codeAtCallback({});
        const tokens = await client.authorizationCodeGrant(config, callback, checks);
        assert.ok(tokens.refresh_token, "the flow issued a refresh token");
        const both = await Promise.allSettled([
          client.refreshTokenGrant(config, tokens.refresh_token),
          client.refreshTokenGrant(config, tokens.refresh_token),
        ]);
        const won = both.filter((result) => result.status === "fulfilled");
        assert.ok(won.length <= 1, `round ${round}: the refresh token was used twice`);
        for (const result of both)
          if (result.status === "rejected")
            assert.ok(oauthError("invalid_grant")(result.reason), String(result.reason));
      }
    });
  });
}
