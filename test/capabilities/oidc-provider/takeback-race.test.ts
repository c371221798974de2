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

/**
 * A take-back (every session of the user ended: the CLI's and the admin
 * API's path) while refreshes of that user's tokens are in flight, their
 * writes now answered a turn later: whatever each refresh answered, nothing
 * issued before or during the take-back works after it.
 */
const T = { timeout: 180_000 };
const CHAINS = 8;
const ROUNDS = 4;

for (const factory of await testDatabases()) {
  describe(`take-back during refreshes, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    let server: TestServer;
    let config: client.Configuration;
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      const made = await server.service.oidc.clients.create({
        name: "Takeback",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      config = await discover(server, made.clientId, made.clientSecret);
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    test("no refresh or access token outlives a take-back made while refreshing", T, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const user = await signedInUser(server.url);
        const chains: client.TokenEndpointResponse[] = [];
        for (let n = 0; n < CHAINS; n++) {
          const jar: CookieJar = new Map();
          await serviceLogin(`http://localhost:${server.port}`, jar, user.email, user.password);
          const flow = await codeFlowStart(config);
          chains.push(
            await client.authorizationCodeGrant(
              config,
              await followAuthorization(flow.url, jar),
              flow.checks,
            ),
          );
        }
        // A take-back lands at a different point of the refreshes each round.
        const refreshes = chains.map((tokens) =>
          client.refreshTokenGrant(config, tokens.refresh_token ?? ""),
        );
        await new Promise((resolve) => setTimeout(resolve, round * 3));
        await server.service.auth.revokeAllSessions(user.email);
        const settled = await Promise.allSettled(refreshes);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const tokens = [
          ...chains,
          ...settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])),
        ];
        for (const [n, issued] of tokens.entries()) {
          await assert.rejects(
            client.refreshTokenGrant(config, issued.refresh_token ?? "x"),
            oauthError("invalid_grant"),
            `round ${round}, token ${n}: a refresh token outlived the take-back`,
          );
          const introspected = await client.tokenIntrospection(config, issued.access_token);
          assert.equal(
            introspected.active,
            false,
            `round ${round}, token ${n}: an access token outlived the take-back`,
          );
        }
        for (const result of settled)
          if (result.status === "rejected")
            assert.ok(
              oauthError("invalid_grant")(result.reason),
              `round ${round}: a refresh answered ${String(result.reason)}`,
            );
      }
    });
  });
}
