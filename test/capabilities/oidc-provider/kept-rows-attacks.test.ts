import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as client from "openid-client";
import pg from "pg";
import { request, signedInUser } from "../../helpers/http.js";
import type { TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followWithConsent,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";
import { postgres, twoInstancesOverPostgres } from "./kept.js";

/** A signed-in user's tokens (refresh token too) from a third party, by consent. */
async function thirdPartyTokens(server: TestServer) {
  const user = await signedInUser(server.url);
  const made = await server.service.oidc.clients.create({
    name: "Third",
    redirectUris: [REDIRECT],
  });
  const config = await discover(server, made.clientId, made.clientSecret);
  const jar: CookieJar = new Map();
  await serviceLogin(`http://localhost:${server.port}`, jar, user.email, user.password);
  const flow = await codeFlowStart(config);
  const tokens = await client.authorizationCodeGrant(
    config,
    await followWithConsent(flow.url, jar),
    flow.checks,
  );
  return { user, jar, config, tokens };
}

/*
 * Attacks on the rows each instance keeps in memory over PostgreSQL (tokens,
 * grants, accounts, userinfo answers): a change made through the instance
 * that keeps them is seen there at once, whatever model or hint a token is
 * looked up under, and nothing is served while the listener is down.
 */

const T = { timeout: 120_000 };

describe("attacks on the rows kept in memory over PostgreSQL", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  const { servers, database } = twoInstancesOverPostgres("k".repeat(64));

  const ccClient = async (server: TestServer) => {
    const made = await server.service.oidc.clients.create({
      name: "Resource",
      redirectUris: [],
      grants: ["client_credentials"],
    });
    const basic = `Basic ${Buffer.from(`${made.clientId}:${made.clientSecret}`).toString("base64")}`;
    const post = (at: TestServer, path: string, body: string) =>
      fetch(`http://localhost:${at.port}/oidc${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
        body,
      });
    const token = async () =>
      (
        (await (await post(server, "/token", "grant_type=client_credentials")).json()) as {
          access_token: string;
        }
      ).access_token;
    const active = async (at: TestServer, value: string, hint = "") =>
      (await (
        await post(
          at,
          "/token/introspection",
          `token=${value}${hint ? `&token_type_hint=${hint}` : ""}`,
        )
      ).json()) as { active: boolean; token_type?: string };
    return { post, token, active, clientId: made.clientId };
  };

  test(
    "same process: a kept client-credentials token revoked there is inactive at once",
    T,
    async () => {
      const [a] = servers as [TestServer];
      const cc = await ccClient(a);
      const value = await cc.token();
      assert.equal((await cc.active(a, value)).active, true);
      assert.equal((await cc.active(a, value)).active, true);
      assert.equal((await cc.post(a, "/token/revocation", `token=${value}`)).status, 200);
      assert.equal((await cc.active(a, value)).active, false);
    },
  );

  test(
    "same process: client deletion ends its kept client-credentials token at once",
    T,
    async () => {
      const [a] = servers as [TestServer];
      const cc = await ccClient(a);
      const value = await cc.token();
      assert.equal((await cc.active(a, value)).active, true);
      assert.equal(await a.service.oidc.clients.delete(cc.clientId), true);
      // The client is gone too: introspection authenticates no more (401), never "active".
      const answer = await cc.post(a, "/token/introspection", `token=${value}`);
      assert.notEqual(answer.status, 200);
    },
  );

  test("same process: logout ends kept userinfo, token and refresh at once", T, async () => {
    const [a] = servers as [TestServer];
    const { user, config, tokens } = await thirdPartyTokens(a);
    const me = () =>
      fetch(`http://localhost:${a.port}/oidc/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
    assert.equal((await me()).status, 200);
    assert.equal((await me()).status, 200);
    assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, true);
    const loggedOut = await request(a.url, "DELETE", "/sessions", { cookie: user.cookie });
    assert.ok([204, 303].includes(loggedOut.status), `logout answered ${loggedOut.status}`);
    assert.equal((await me()).status, 401);
    assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
    assert.ok(tokens.refresh_token);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token ?? ""));
  });

  test("cross-model: kept ids answer right under every token model and hint", T, async () => {
    const [a] = servers as [TestServer];
    const { config, tokens } = await thirdPartyTokens(a);
    assert.ok(tokens.refresh_token, "a refresh token");
    for (let i = 0; i < 2; i++) {
      for (const hint of [undefined, "access_token", "refresh_token"]) {
        const at = await client.tokenIntrospection(
          config,
          tokens.access_token,
          hint ? { token_type_hint: hint } : {},
        );
        assert.equal(at.active, true);
        assert.equal(at.token_type, "Bearer");
        const rt = await client.tokenIntrospection(
          config,
          tokens.refresh_token,
          hint ? { token_type_hint: hint } : {},
        );
        assert.equal(rt.active, true, `refresh token with hint ${hint}`);
      }
    }
    // A client-credentials token is never an access token at userinfo.
    const cc = await ccClient(a);
    const value = await cc.token();
    assert.equal((await cc.active(a, value)).active, true);
    const me = await fetch(`http://localhost:${a.port}/oidc/me`, {
      headers: { authorization: `Bearer ${value}` },
    });
    assert.equal(me.status, 401);
    // And a refresh still works after its access token was kept.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
  });

  test(
    "same process: revoking from the applications page under a storm of lookups leaves nothing kept",
    T,
    async () => {
      const [a] = servers as [TestServer];
      const { user, config, tokens } = await thirdPartyTokens(a);
      const clientId = config.clientMetadata().client_id;
      const me = () =>
        fetch(`http://localhost:${a.port}/oidc/me`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
      assert.equal((await me()).status, 200);
      let storming = true;
      const storm = (async () => {
        while (storming)
          await Promise.all([me(), client.tokenIntrospection(config, tokens.access_token), me()]);
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const removed = await request(a.url, "DELETE", `/profile/applications/${clientId}`, {
        cookie: user.cookie,
      });
      assert.equal(removed.status, 200, removed.text);
      // At once, and while the storm still runs.
      for (let i = 0; i < 20; i++) {
        assert.equal((await me()).status, 401, `userinfo after revocation (ask ${i})`);
        assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
      }
      storming = false;
      await storm;
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token ?? ""));
    },
  );

  test(
    "a killed listener: the other instance serves nothing kept while it reconnects",
    T,
    async () => {
      const [a, b] = servers as [TestServer, TestServer];
      const cc = await ccClient(a);
      const value = await cc.token();
      assert.equal((await cc.active(b, value)).active, true);
      assert.equal((await cc.active(b, value)).active, true);
      const admin = new pg.Client({ connectionString: database()?.url });
      await admin.connect();
      try {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auth-service session listener'",
        );
      } finally {
        await admin.end();
      }
      assert.equal((await cc.post(a, "/token/revocation", `token=${value}`)).status, 200);
      assert.equal((await cc.active(b, value)).active, false);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await cc.active(b, value)).active, false);
    },
  );
});
