import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselySocialStore } from "../../../src/capabilities/social-login/kysely-store.js";
import { onEveryDatabase, TIMEOUT } from "../../contracts/harness.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const LATER = new Date(NOW.getTime() + 60_000);

await onEveryDatabase("the social login store", (t) => {
  const store = () => new KyselySocialStore(t.db);
  const flow = {
    providerId: "up",
    sealed: "sealed-checks",
    returnTo: "/account",
    linkUserId: null,
  };

  test(
    "a flow is taken once, and not after it expired; of two takes at once, one gets it",
    TIMEOUT,
    async () => {
      await store().insertFlow("hash-1", flow, LATER);
      assert.deepEqual(await store().takeFlow("hash-1", NOW), flow);
      assert.equal(await store().takeFlow("hash-1", NOW), null);
      await store().insertFlow("hash-2", flow, LATER);
      assert.equal(await store().takeFlow("hash-2", new Date(LATER.getTime() + 1)), null);
      await store().insertFlow("hash-3", flow, LATER);
      const other = new KyselySocialStore(t.connection());
      const taken = await Promise.all([
        store().takeFlow("hash-3", NOW),
        other.takeFlow("hash-3", NOW),
      ]);
      assert.equal(taken.filter(Boolean).length, 1);
    },
  );

  test("an identity is linked to one account only; it goes with its user", TIMEOUT, async () => {
    const ann = await t.user("ann@example.com");
    const bob = await t.user("bob@example.com");
    const identity = {
      id: "id-1",
      userId: ann.id,
      provider: "up",
      subject: "s-1",
      email: "ann@example.com",
      linkedAt: NOW,
    };
    assert.equal(await store().insertIdentity(identity), true);
    assert.equal(await store().insertIdentity({ ...identity, id: "id-2", userId: bob.id }), false);
    assert.equal((await store().findIdentity("up", "s-1"))?.userId, ann.id);
    assert.equal(await store().deleteIdentity(bob.id, "id-1"), false, "only its own user's");
    await t.store.deleteUser(ann.id);
    assert.equal(await store().findIdentity("up", "s-1"), null);
  });

  test(
    "providers: one per id; link requests live until they expire or are used",
    TIMEOUT,
    async () => {
      const provider = {
        id: "corp",
        name: "Corp",
        kind: "oidc" as const,
        issuer: "https://sso.example.com",
        endpoints: null,
        clientId: "app",
        clientSecretSealed: "sealed",
        scopes: ["profile"],
        createdAt: NOW,
      };
      assert.equal(await store().insertProvider(provider), true);
      assert.equal(await store().insertProvider(provider), false);
      assert.deepEqual(await store().listProviders(), [provider]);
      const user = await t.user("carol@example.com");
      const request = {
        userId: user.id,
        providerId: "corp",
        subject: "s",
        email: "carol@example.com",
        returnTo: null,
      };
      await store().insertLinkRequest("link-1", request, LATER);
      assert.deepEqual(await store().findLinkRequest("link-1", NOW), request);
      assert.equal(await store().findLinkRequest("link-1", LATER), null);
      assert.equal(await store().deleteLinkRequest("link-1"), true);
      assert.equal(await store().deleteLinkRequest("link-1"), false);
      await store().insertFlow("old", flow, NOW);
      await store().purgeExpired(LATER);
      assert.equal(await store().takeFlow("old", new Date(0)), null);
    },
  );
});
