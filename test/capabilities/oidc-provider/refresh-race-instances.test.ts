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
 * Refresh races through the real HTTP server, two instances over one
 * database (two connections to one SQLite file stand in for --workers), the
 * documented outcome checked in full (docs/guides/oidc-provider.md, "Refresh
 * races"): at most one new refresh token; a loser answers invalid_grant (never
 * a 5xx) and revokes the grant, so the winner's new refresh token fails too
 * and its new access token is inactive.
 */
const T = { timeout: 180_000 };
const ROUNDS = 10;
const SECRET_KEY = "d".repeat(64);

for (const factory of await testDatabases()) {
  describe(`refresh races across two instances on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    const servers: TestServer[] = [];
    let onA: client.Configuration;
    let onB: client.Configuration;
    let user: { email: string; password: string };
    let base = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      const env = { DATABASE_URL: database.url, SECRET_KEY };
      const a = await startTestServer(env);
      servers.push(a);
      const b = await startTestServer({ ...env, OIDC_ISSUER: `http://localhost:${a.port}` });
      servers.push(b);
      base = `http://localhost:${a.port}`;
      const made = await a.service.oidc.clients.create({
        name: "Racer",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      onA = await discover(a, made.clientId, made.clientSecret);
      onB = await discover(a, made.clientId, made.clientSecret);
      onB[client.customFetch] = (input, init) =>
        fetch(String(input).replace(`:${a.port}/`, `:${b.port}/`), init);
      user = await signedInUser(a.url);
    });
    after(async () => {
      for (const server of servers) await server.close();
      await database?.drop();
    });

    const tokensOnA = async () => {
      const jar: CookieJar = new Map();
      await serviceLogin(base, jar, user.email, user.password);
      const flow = await codeFlowStart(onA);
      const callback = await followAuthorization(flow.url, jar);
      const tokens = await client.authorizationCodeGrant(onA, callback, flow.checks);
      assert.ok(tokens.refresh_token, "a refresh token was issued");
      return tokens;
    };

    const checkRound = async (
      round: number,
      results: PromiseSettledResult<client.TokenEndpointResponse>[],
    ) => {
      const won = results.filter((result) => result.status === "fulfilled");
      assert.ok(won.length <= 1, `round ${round}: two new refresh tokens from one`);
      for (const result of results)
        if (result.status === "rejected")
          assert.ok(
            oauthError("invalid_grant")(result.reason),
            `round ${round}: a loser answered ${String(result.reason)} (${JSON.stringify((result.reason as { cause?: unknown }).cause ?? null)})`,
          );
      const winner = won[0];
      if (winner?.status === "fulfilled") {
        // The loser revoked the grant: the winner's new tokens must be dead too.
        await assert.rejects(
          client.refreshTokenGrant(onA, winner.value.refresh_token ?? ""),
          oauthError("invalid_grant"),
          `round ${round}: the winner's new refresh token outlived the reuse`,
        );
        const active = (await client.tokenIntrospection(onA, winner.value.access_token)).active;
        assert.equal(active, false, `round ${round}: the winner's access token outlived the reuse`);
      }
    };

    test("one refresh token sent to both instances at once", T, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const tokens = await tokensOnA();
        const results = await Promise.allSettled([
          client.refreshTokenGrant(onA, tokens.refresh_token ?? ""),
          client.refreshTokenGrant(onB, tokens.refresh_token ?? ""),
        ]);
        await checkRound(round, results);
      }
    });

    test("one refresh token sent four times at once, two to each instance", T, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const tokens = await tokensOnA();
        const rt = tokens.refresh_token ?? "";
        const results = await Promise.allSettled([
          client.refreshTokenGrant(onA, rt),
          client.refreshTokenGrant(onB, rt),
          client.refreshTokenGrant(onA, rt),
          client.refreshTokenGrant(onB, rt),
        ]);
        await checkRound(round, results);
      }
    });

    test("a replayed refresh token after a successful refresh revokes the new one", T, async () => {
      const tokens = await tokensOnA();
      const first = await client.refreshTokenGrant(onB, tokens.refresh_token ?? "");
      await assert.rejects(
        client.refreshTokenGrant(onA, tokens.refresh_token ?? ""),
        oauthError("invalid_grant"),
      );
      await assert.rejects(
        client.refreshTokenGrant(onB, first.refresh_token ?? ""),
        oauthError("invalid_grant"),
      );
    });
  });
}
