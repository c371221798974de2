import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openOidcStores } from "../../../src/capabilities/oidc-provider/index.js";
import type { OidcDb } from "../../../src/capabilities/oidc-provider/store.js";
import { connect } from "../../../src/platform/db/connect.js";
import type { TestServer } from "../../helpers/server.js";
import { crafted, postgres, tokensOf, twoInstancesOverPostgres } from "./kept.js";

const T = { timeout: 120_000 };

/** Asks every 20 ms for up to 2 s until `done` holds of the answer; returns the last answer. */
async function onceTrue<A>(ask: () => Promise<A>, done: (answer: A) => boolean): Promise<A> {
  let answer = await ask();
  for (let i = 0; i < 100 && !done(answer); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await ask();
  }
  return answer;
}

describe("token, grant and account rows kept in memory over PostgreSQL end with a change anywhere", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  const { servers } = twoInstancesOverPostgres("k".repeat(64));

  /** The provider's stores of one more process whose notices never come (the fault injected). */
  function deafStores(server: TestServer) {
    const { db } = connect({ url: server.databaseUrl });
    const stores = openOidcStores({
      db,
      sqlite: undefined,
      notices: { up: true, watch: () => {} },
      alsoForget: undefined,
      cache: true,
      millis: Date.now,
      secretBox: () => {
        throw new Error("not used here");
      },
    });
    return { db, stores };
  }

  test(
    "a process answers a kept token or grant from memory, and its own writes end what they change",
    T,
    async () => {
      const [a] = servers as [TestServer];
      const { db, stores } = deafStores(a);
      try {
        const { grantId, token } = await crafted(a, stores);
        const [first, second] = [await token(), await token()];
        assert.ok(await stores.payloads.find("AccessToken", "id", first));
        assert.ok(await stores.payloads.find("AccessToken", "id", second));
        // Gone from the table behind the store's back: only memory still has it.
        await (db as unknown as OidcDb)
          .deleteFrom("oidc_payloads")
          .where("id", "=", first)
          .execute();
        assert.ok(await stores.payloads.find("AccessToken", "id", first), "kept in memory");
        // The id of a kept access token is no refresh token and no client's token.
        assert.equal(await stores.payloads.find("RefreshToken", "id", first), undefined);
        assert.equal(await stores.payloads.find("ClientCredentials", "id", first), undefined);

        const scopeOf = async () =>
          ((await stores.payloads.find("Grant", "id", grantId)) as { openid: { scope: string } })
            .openid.scope;
        assert.equal(await scopeOf(), "openid email");
        const grant = (await stores.payloads.find("Grant", "id", grantId)) as Record<
          string,
          unknown
        >;
        await stores.payloads.upsert(
          "Grant",
          grantId,
          { ...grant, openid: { scope: "openid email offline_access" } },
          3600,
        );
        assert.equal(await scopeOf(), "openid email offline_access", "a new consent, at once");

        await stores.payloads.revokeByGrantId(grantId);
        assert.equal(await stores.payloads.find("AccessToken", "id", first), undefined);
        assert.equal(await stores.payloads.find("AccessToken", "id", second), undefined);
        assert.equal(await stores.payloads.find("Grant", "id", grantId), undefined);
      } finally {
        await db.destroy();
      }
    },
  );

  test("a process's kept account ends with its own take-back", T, async () => {
    const [a] = servers as [TestServer];
    const { db, stores } = deafStores(a);
    try {
      const { user, sub } = await crafted(a, stores);
      const account = await stores.subjects.accountBySubject(sub);
      assert.equal(account?.email, user.email);
      await db
        .updateTable("users")
        .set({ email: "renamed@example.com", email_normalized: "renamed@example.com" })
        .where("id", "=", account?.userId ?? 0)
        .execute();
      assert.equal((await stores.subjects.accountBySubject(sub))?.email, user.email, "kept");
      await stores.subjects.endSessions(account?.userId ?? 0, Date.now());
      const after = await stores.subjects.accountBySubject(sub);
      assert.equal(after?.email, "renamed@example.com");
      assert.notEqual(after?.endedAt, null);
    } finally {
      await db.destroy();
    }
  });

  test(
    "a token revoked at one instance is inactive at the other's introspection within moments",
    T,
    async () => {
      const [a, b] = servers as [TestServer, TestServer];
      const made = await a.service.oidc.clients.create({
        name: "Resource",
        redirectUris: [],
        grants: ["client_credentials"],
      });
      const basic = `Basic ${Buffer.from(`${made.clientId}:${made.clientSecret}`).toString("base64")}`;
      const post = (server: TestServer, path: string, body: string) =>
        fetch(`http://localhost:${server.port}/oidc${path}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
          body,
        });
      const issued = (await (await post(a, "/token", "grant_type=client_credentials")).json()) as {
        access_token: string;
      };
      const activeAtB = async () =>
        (
          (await (
            await post(b, "/token/introspection", `token=${issued.access_token}`)
          ).json()) as {
            active: boolean;
          }
        ).active;
      // Twice at B: the second from B's memory.
      assert.equal(await activeAtB(), true);
      assert.equal(await activeAtB(), true);
      assert.equal(
        (await post(a, "/token/revocation", `token=${issued.access_token}`)).status,
        200,
      );
      assert.equal(await onceTrue(activeAtB, (active) => !active), false, "still active after 2 s");
    },
  );

  test(
    "an address changed by any writer is the one the other instance's userinfo gives within moments",
    T,
    async () => {
      const [a, b] = servers as [TestServer, TestServer];
      const { user, tokens } = await tokensOf(a, "openid email");
      // POST: oidc-provider's own userinfo, which reads the account (FastUserinfo answers GETs).
      const emailAtB = async () =>
        (
          (await (
            await fetch(`http://localhost:${b.port}/oidc/me`, {
              method: "POST",
              headers: {
                "content-type": "application/x-www-form-urlencoded",
                authorization: `Bearer ${tokens.access_token}`,
              },
            })
          ).json()) as { email: string }
        ).email;
      assert.equal(await emailAtB(), user.email);
      assert.equal(await emailAtB(), user.email);
      const { db } = connect({ url: a.databaseUrl });
      try {
        // As an operator's SQL or another instance would: only the notice tells B.
        await db
          .updateTable("users")
          .set({ email: "moved@example.com", email_normalized: "moved@example.com" })
          .where("email_normalized", "=", user.email.toLowerCase())
          .execute();
      } finally {
        await db.destroy();
      }
      assert.equal(
        await onceTrue(emailAtB, (email) => email === "moved@example.com"),
        "moved@example.com",
        "B still gave the old address after 2 s",
      );
    },
  );
});
