import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiKeyNameTakenError,
  type ApiKeyRecord,
  type ApiKeyStore,
} from "../../../src/capabilities/admin-api/api-keys.js";
import { KyselyApiKeyStore } from "../../../src/capabilities/admin-api/kysely-store.js";
import { AN_INSTANT, at, DAY, MINUTE, onEveryDatabase, TIMEOUT } from "../../contracts/harness.js";

// ApiKeyStore (src/capabilities/admin-api/api-keys.ts), implemented by
// KyselyApiKeyStore: the admin API's keys, kept by their hash.

type NewKey = Omit<ApiKeyRecord, "id" | "lastUsedAt"> & { keyHash: string };

function newKey(name: string, changes: Partial<NewKey> = {}): NewKey {
  return {
    name,
    keyHash: `hash-of-${name}`,
    displayPrefix: `authsvc_${name.slice(0, 6)}`,
    scopes: ["users:read"],
    createdAt: AN_INSTANT,
    expiresAt: null,
    ...changes,
  };
}

await onEveryDatabase("ApiKeyStore contract", (t) => {
  const store = (): ApiKeyStore => new KyselyApiKeyStore(t.db);

  test(
    "insertApiKey, then findApiKeyByHash gives the record back as stored, never the hash",
    TIMEOUT,
    async () => {
      await store().insertApiKey(
        newKey("deploy", {
          scopes: ["users:read", "users:write", "audit:read"],
          expiresAt: at(AN_INSTANT, 90 * DAY + 1),
        }),
      );
      const found = await store().findApiKeyByHash("hash-of-deploy");
      assert.ok(found);
      assert.equal(typeof found.id, "number");
      assert.deepEqual(found, {
        id: found.id,
        name: "deploy",
        displayPrefix: "authsvc_deploy",
        scopes: ["users:read", "users:write", "audit:read"],
        createdAt: AN_INSTANT,
        lastUsedAt: null,
        expiresAt: at(AN_INSTANT, 90 * DAY + 1),
      });
      await store().insertApiKey(newKey("forever"));
      assert.equal((await store().findApiKeyByHash("hash-of-forever"))?.expiresAt, null);
      assert.equal(await store().findApiKeyByHash("hash-of-nothing"), null);
      assert.equal(await store().findApiKeyByHash("deploy"), null, "by the hash, not the name");
    },
  );

  test(
    "insertApiKey of a name a key has: ApiKeyNameTakenError, the first key intact",
    TIMEOUT,
    async () => {
      await store().insertApiKey(newKey("ci"));
      const first = await store().findApiKeyByHash("hash-of-ci");
      await assert.rejects(
        store().insertApiKey(newKey("ci", { keyHash: "another-hash", scopes: ["users:write"] })),
        ApiKeyNameTakenError,
      );
      assert.deepEqual(await store().findApiKeyByHash("hash-of-ci"), first);
      assert.equal(await store().findApiKeyByHash("another-hash"), null);
      assert.equal((await store().listApiKeys()).length, 1);
    },
  );

  test("listApiKeys lists every key as findApiKeyByHash does, never a hash", TIMEOUT, async () => {
    assert.deepEqual(await store().listApiKeys(), []);
    for (const name of ["beta", "alpha", "gamma"]) await store().insertApiKey(newKey(name));
    const listed = await store().listApiKeys();
    assert.deepEqual(listed.map((key) => key.name).sort(), ["alpha", "beta", "gamma"]);
    for (const key of listed) {
      assert.deepEqual(key, await store().findApiKeyByHash(`hash-of-${key.name}`));
      assert.ok(!Object.values(key).includes(`hash-of-${key.name}`), "never the hash");
    }
  });

  test(
    "deleteApiKey: true when a key had the name, then false; the key stops being found",
    TIMEOUT,
    async () => {
      await store().insertApiKey(newKey("old"));
      await store().insertApiKey(newKey("new"));
      assert.equal(await store().deleteApiKey("old"), true);
      assert.equal(await store().findApiKeyByHash("hash-of-old"), null);
      assert.equal(await store().deleteApiKey("old"), false);
      assert.equal(await store().deleteApiKey("never-was"), false);
      assert.ok(await store().findApiKeyByHash("hash-of-new"));
      // The name is free again.
      await store().insertApiKey(newKey("old", { keyHash: "second-hash" }));
      assert.ok(await store().findApiKeyByHash("second-hash"));
    },
  );

  test(
    "touchApiKey records when the key was last used, exactly, on that key only",
    TIMEOUT,
    async () => {
      await store().insertApiKey(newKey("busy"));
      await store().insertApiKey(newKey("idle"));
      const busy = await store().findApiKeyByHash("hash-of-busy");
      assert.ok(busy);
      await store().touchApiKey(busy.id, at(AN_INSTANT, MINUTE + 1));
      assert.equal(
        (await store().findApiKeyByHash("hash-of-busy"))?.lastUsedAt?.getTime(),
        at(AN_INSTANT, MINUTE + 1).getTime(),
      );
      await store().touchApiKey(busy.id, at(AN_INSTANT, 2 * MINUTE));
      assert.equal(
        (await store().findApiKeyByHash("hash-of-busy"))?.lastUsedAt?.getTime(),
        at(AN_INSTANT, 2 * MINUTE).getTime(),
      );
      assert.equal((await store().findApiKeyByHash("hash-of-idle"))?.lastUsedAt, null);
    },
  );
});
