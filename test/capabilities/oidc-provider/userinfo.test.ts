import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import { openOidcStores } from "../../../src/capabilities/oidc-provider/index.js";
import { FastUserinfo } from "../../../src/capabilities/oidc-provider/userinfo.js";
import { connect } from "../../../src/platform/db/connect.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  crafted,
  postgres,
  statusOnceChanged,
  tokensOf,
  twoInstancesOverPostgres,
} from "./kept.js";

const T = { timeout: 120_000 };

for (const factory of await testDatabases()) {
  describe(`userinfo answered without oidc-provider's stack, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    let server: TestServer;
    let base = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      base = `http://localhost:${server.port}`;
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    const userinfo = (token: string) =>
      fetch(`${base}/oidc/me`, { headers: { authorization: `Bearer ${token}` } });
    /** oidc-provider's own answer: a token in the body is never taken by the fast path. */
    const providersUserinfo = (token: string) =>
      fetch(`${base}/oidc/me`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `access_token=${token}`,
      });

    test("its answer is oidc-provider's, claim for claim and header for header", T, async () => {
      for (const scope of ["openid email", "openid"]) {
        const { user, tokens } = await tokensOf(server, scope);
        const fast = await userinfo(tokens.access_token);
        const provider = await providersUserinfo(tokens.access_token);
        assert.equal(fast.status, 200);
        assert.equal(provider.status, 200);
        const claims = (await fast.json()) as Record<string, unknown>;
        assert.deepEqual(claims, await provider.json(), scope);
        assert.equal(claims.sub, tokens.claims()?.sub);
        assert.equal(claims.email, scope.includes("email") ? user.email : undefined);
        for (const name of [
          "cache-control",
          "content-type",
          "x-frame-options",
          "x-content-type-options",
          "content-security-policy",
        ])
          assert.equal(fast.headers.get(name), provider.headers.get(name), name);
      }
    });

    test(
      "after a logout, a revocation or the client's deletion, it refuses as oidc-provider does",
      T,
      async () => {
        const logout = await tokensOf(server, "openid email");
        assert.equal((await userinfo(logout.tokens.access_token)).status, 200);
        const cookie = [...logout.jar].map(([name, value]) => `${name}=${value}`).join("; ");
        assert.equal(
          (
            await fetch(`${base}/sessions`, {
              method: "DELETE",
              headers: { cookie },
              redirect: "manual",
            })
          ).status,
          303,
        );
        const refused = await userinfo(logout.tokens.access_token);
        assert.equal(refused.status, 401);
        assert.match(refused.headers.get("www-authenticate") ?? "", /invalid_token/);

        const revoked = await tokensOf(server, "openid email");
        assert.equal((await userinfo(revoked.tokens.access_token)).status, 200);
        await client.tokenRevocation(revoked.config, revoked.tokens.access_token);
        assert.equal((await userinfo(revoked.tokens.access_token)).status, 401);

        const deleted = await tokensOf(server, "openid email");
        assert.equal((await userinfo(deleted.tokens.access_token)).status, 200);
        await server.service.oidc.clients.delete(deleted.config.clientMetadata().client_id);
        assert.equal((await userinfo(deleted.tokens.access_token)).status, 401);
      },
    );

    test("it answers only a plain bearer token, and hands everything else over", T, async () => {
      const { payloads, clients, subjects } = server.service.oidc;
      const fast = new FastUserinfo(server.service.oidc);
      const { user, sub, grantId, token } = await crafted(server, { payloads, clients, subjects });
      const ask = (id: string, headers: Record<string, string> = {}, url = "/oidc/me") =>
        fast.claimsFor("GET", url, { authorization: `Bearer ${id}`, ...headers });

      const plain = await token();
      assert.deepEqual(await ask(plain), { sub, email: user.email, email_verified: false });
      const handedOver: [string, Promise<unknown>][] = [
        ["a DPoP-bound token", ask(await token({ jkt: "thumbprint" }))],
        ["a token with an audience", ask(await token({ aud: "https://api.example" }))],
        ["a claims request", ask(await token({ claims: { userinfo: { email: null } } }))],
        ["no openid scope", ask(await token({ scope: "email" }))],
        ["an unknown token", ask(randomBytes(32).toString("base64url"))],
        ["a DPoP proof", ask(plain, { dpop: "proof" })],
        ["a CORS origin", ask(plain, { origin: "https://rp.example" })],
        ["a query", ask(plain, {}, "/oidc/me?scope=openid")],
        ["POST", fast.claimsFor("POST", "/oidc/me", { authorization: `Bearer ${plain}` })],
        ["another scheme", fast.claimsFor("GET", "/oidc/me", { authorization: `Basic ${plain}` })],
        ["another client's grant", ask(await token({ clientId: "someone-else" }))],
      ];
      for (const [what, answer] of handedOver) assert.equal(await answer, undefined, what);

      // An answer kept in memory goes with this process's own write, before any
      // notice could arrive (over SQLite, with any commit): the grant's revocation.
      const answers = server.service.oidc.userinfoAnswers;
      assert.ok(answers);
      for (let i = 0; i < 50 && !answers.get(plain, Date.now()); i++) {
        await ask(plain);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(answers.get(plain, Date.now()), "the answer is kept");
      await payloads.revokeByGrantId(grantId);
      assert.equal(await ask(plain), undefined, "revoked grant");
    });
  });
}

describe("answers kept in memory by one instance over PostgreSQL end with a change anywhere", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  const { servers } = twoInstancesOverPostgres("u".repeat(64));

  test(
    "this process's own revocation ends a kept answer before any notice could arrive",
    T,
    async () => {
      const [a] = servers as [TestServer];
      const { db } = connect({ url: a.databaseUrl });
      // Notices that never come (the fault injected): only this process's own writes can end an answer.
      const silent = { up: true, watch: () => {} };
      const stores = openOidcStores({
        db,
        sqlite: undefined,
        notices: silent,
        alsoForget: undefined,
        cache: true,
        millis: Date.now,
        secretBox: () => {
          throw new Error("not used here");
        },
      });
      try {
        const fast = new FastUserinfo(stores);
        const { grantId, token } = await crafted(a, stores);
        const plain = await token();
        const ask = () => fast.claimsFor("GET", "/oidc/me", { authorization: `Bearer ${plain}` });
        assert.ok(await ask());
        assert.ok(stores.userinfoAnswers?.get(plain, Date.now()), "the answer is kept");
        await stores.payloads.revokeByGrantId(grantId);
        assert.equal(await ask(), undefined);
      } finally {
        stores.userinfoAnswers?.close();
        await db.destroy();
      }
    },
  );

  test(
    "a client deleted at one instance gets no more tokens there, nor at the other within moments",
    T,
    async () => {
      const [a, b] = servers as [TestServer, TestServer];
      const made = await a.service.oidc.clients.create({
        name: "Machine",
        redirectUris: [],
        grants: ["client_credentials"],
      });
      const grantAt = (server: TestServer) =>
        fetch(`http://localhost:${server.port}/oidc/token`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            authorization: `Basic ${Buffer.from(`${made.clientId}:${made.clientSecret}`).toString("base64")}`,
          },
          body: "grant_type=client_credentials",
        });
      // Twice at each: the second from memory.
      for (const server of [a, b, a, b]) assert.equal((await grantAt(server)).status, 200);
      assert.equal(await a.service.oidc.clients.delete(made.clientId), true);
      assert.equal((await grantAt(a)).status, 401, "the instance that deleted it");
      assert.equal(
        await statusOnceChanged(() => grantAt(b)),
        401,
        "the other instance still granted after 2 s",
      );
    },
  );

  test("a revocation at one instance is refused at the other within moments", T, async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const { config, tokens } = await tokensOf(a, "openid email");
    const atB = () =>
      fetch(`http://localhost:${b.port}/oidc/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
    // Answered twice at B: the second from B's memory.
    assert.equal((await atB()).status, 200);
    assert.equal((await atB()).status, 200);
    await client.tokenRevocation(config, tokens.access_token);
    assert.equal(await statusOnceChanged(atB), 401, "B still answered the revoked token after 2 s");
  });
});
