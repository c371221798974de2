import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselyPasskeyStore } from "../../../src/capabilities/passkeys/kysely-passkey-store.js";
import type { NewPasskey, PasskeyStore } from "../../../src/capabilities/passkeys/store.js";
import type { UserRecord } from "../../../src/core/user.js";
import type { Database } from "../../../src/platform/db/schema.js";
import {
  AN_INSTANT,
  at,
  HOUR,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  TIMEOUT,
} from "../../contracts/harness.js";

// PasskeyStore (src/capabilities/passkeys/store.ts), implemented by
// KyselyPasskeyStore: passkeys and their ceremonies' challenges.

await onEveryDatabase("PasskeyStore contract", (t) => {
  const store = (): PasskeyStore => new KyselyPasskeyStore(t.db);
  let made = 0;
  const passkey = (user: UserRecord, name?: string): NewPasskey => ({
    id: `pk-${++made}-${user.id}`,
    userId: user.id,
    credentialId: `cred-${made}-${user.id}`,
    publicKey: new Uint8Array([1, 2, 3, 250, 251, made % 256]),
    counter: 7,
    transports: ["internal", "hybrid"],
    userHandle: `handle-${user.id}`,
    backupEligible: true,
    backedUp: false,
    aaguid: "00000000-0000-0000-0000-000000000000",
    name: name ?? `key ${made}`,
    createdAt: at(AN_INSTANT, made * MINUTE),
  });

  test("insertPasskey then every reader gives it back as stored", TIMEOUT, async () => {
    const user = await t.user();
    const other = await t.user();
    const added = passkey(user, "Laptop");
    assert.equal(await store().insertPasskey(added), true);
    const found = await store().findByCredentialId(added.credentialId);
    assert.ok(found);
    assert.deepEqual({ ...found, rowId: 0 }, { ...added, rowId: 0, lastUsedAt: null });
    assert.deepEqual(Array.from(found.publicKey), Array.from(added.publicKey), "bytes intact");
    assert.equal((await store().findOfUser(user.id, added.id))?.credentialId, added.credentialId);
    assert.equal(await store().findOfUser(other.id, added.id), null, "never another user's");
    assert.equal(await store().findByCredentialId("unknown"), null);
  });

  test("findWithUser gives the passkey and its user's record in one read", TIMEOUT, async () => {
    const user = await t.user();
    await store().insertPasskey(passkey(await t.user()));
    const added = passkey(user, "Phone");
    await store().insertPasskey(added);
    const found = await store().findWithUser(added.credentialId);
    assert.ok(found);
    assert.deepEqual(
      { ...found.passkey, rowId: 0 },
      { ...added, rowId: 0, lastUsedAt: null },
      "the passkey as stored",
    );
    assert.deepEqual(
      found.user,
      await t.store.findUser({ id: user.id }),
      "the user as the core reads it",
    );
    assert.equal(await store().findWithUser("unknown"), null);
  });

  test(
    "insertPasskey refuses a credential id registered already, writing nothing",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      const first = passkey(user);
      assert.equal(await store().insertPasskey(first), true);
      const again = { ...passkey(other), credentialId: first.credentialId };
      assert.equal(await store().insertPasskey(again), false);
      assert.equal(await store().countOfUser(other.id), 0);
    },
  );

  test(
    "listOfUser is the user's passkeys, oldest first; countOfUser counts them",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      const names = ["one", "two", "three"];
      for (const name of names) await store().insertPasskey(passkey(user, name));
      await store().insertPasskey(passkey(other, "theirs"));
      assert.deepEqual(
        (await store().listOfUser(user.id)).map((row) => row.name),
        names,
      );
      assert.equal(await store().countOfUser(user.id), 3);
      assert.equal(await store().countOfUser((await t.user()).id), 0);
    },
  );

  test(
    "recordUse is a compare and set on the counter: of two uses with one previous counter, one wins",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const added = passkey(user);
      await store().insertPasskey(added);
      const stored = await store().findByCredentialId(added.credentialId);
      assert.ok(stored);
      const use = { counter: 8, backedUp: true, at: at(AN_INSTANT, HOUR) };
      const stores = [store(), new KyselyPasskeyStore(t.connection())];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => stores[i % 2]?.recordUse(stored.rowId, 7, use)),
      );
      assert.equal(results.filter((won) => won === true).length, 1);
      const after = await store().findByCredentialId(added.credentialId);
      assert.equal(after?.counter, 8);
      assert.equal(after?.backedUp, true);
      assert.equal(after?.lastUsedAt?.getTime(), use.at.getTime());
      assert.equal(await store().recordUse(stored.rowId, 7, use), false, "the counter moved on");
    },
  );

  test("rename and deletePasskey act on the user's own passkey only", TIMEOUT, async () => {
    const user = await t.user();
    const other = await t.user();
    const added = passkey(user, "old name");
    await store().insertPasskey(added);
    assert.equal(await store().rename(other.id, added.id, "stolen"), false);
    assert.equal(await store().rename(user.id, "unknown", "x"), false);
    assert.equal(await store().rename(user.id, added.id, "new name"), true);
    assert.equal((await store().findOfUser(user.id, added.id))?.name, "new name");
    assert.equal(await store().deletePasskey(other.id, added.id), false);
    assert.equal(await store().deletePasskey(user.id, added.id), true);
    assert.equal(await store().deletePasskey(user.id, added.id), false);
    assert.equal(await store().countOfUser(user.id), 0);
  });

  test("writes given a transaction that rolls back leave nothing", TIMEOUT, async () => {
    const user = await t.user();
    const kept = passkey(user);
    await store().insertPasskey(kept);
    const stored = await store().findByCredentialId(kept.credentialId);
    assert.ok(stored);
    await inRolledBack(t.store, async (tx) => {
      assert.equal(await store().insertPasskey(passkey(user), tx), true);
      const use = { counter: 9, backedUp: true, at: at(AN_INSTANT, HOUR) };
      assert.equal(await store().recordUse(stored.rowId, 7, use, tx), true);
      assert.equal(await store().deletePasskey(user.id, kept.id, tx), true);
      assert.equal(await store().deleteAllOfUser(user.id, tx), 1);
    });
    assert.deepEqual(
      (await store().listOfUser(user.id)).map((row) => row.id),
      [kept.id],
    );
    assert.equal((await store().findByCredentialId(kept.credentialId))?.counter, 7);
  });

  test("deleteAllOfUser deletes every passkey of the user, and no other's", TIMEOUT, async () => {
    const user = await t.user();
    const other = await t.user();
    for (const name of ["a", "b", "c"]) await store().insertPasskey(passkey(user, name));
    await store().insertPasskey(passkey(other));
    assert.equal(await store().deleteAllOfUser(user.id), 3);
    assert.equal(await store().deleteAllOfUser(user.id), 0);
    assert.equal(await store().countOfUser(user.id), 0);
    assert.equal(await store().countOfUser(other.id), 1);
  });

  test("deleting the user deletes its passkeys", TIMEOUT, async () => {
    const user = await t.user();
    await store().insertPasskey(passkey(user));
    await t.store.deleteUser(user.id);
    // The table is the capability's own (PasskeyTables), not in the core's schema type.
    assert.equal(await t.count("passkeys" as keyof Database, user.id), 0);
  });

  test(
    "takeChallenge gives a live challenge once, as made; never an expired one",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const made = (challengeHash: string, expiresAt: Date) =>
        store().insertChallenge({
          challengeHash,
          purpose: "factor",
          userId: user.id,
          createdAt: AN_INSTANT,
          expiresAt,
        });
      await made("live", at(AN_INSTANT, 5 * MINUTE));
      await made("expired", at(AN_INSTANT, MINUTE));
      const now = at(AN_INSTANT, 2 * MINUTE);
      assert.equal(await store().takeChallenge("expired", now), null);
      const stores = [store(), new KyselyPasskeyStore(t.connection())];
      const taken = await Promise.all(
        Array.from({ length: 6 }, (_, i) => stores[i % 2]?.takeChallenge("live", now)),
      );
      const winners = taken.filter((challenge) => challenge !== null);
      assert.deepEqual(winners, [{ purpose: "factor", userId: user.id }]);
      assert.equal(await store().takeChallenge("unknown", now), null);
    },
  );

  test("purgeExpiredChallenges deletes the expired ones only", TIMEOUT, async () => {
    for (const [hash, minutes] of [
      ["old", 1],
      ["fresh", 10],
    ] as const)
      await store().insertChallenge({
        challengeHash: hash,
        purpose: "sign_in",
        userId: null,
        createdAt: AN_INSTANT,
        expiresAt: at(AN_INSTANT, minutes * MINUTE),
      });
    const now = at(AN_INSTANT, 5 * MINUTE);
    await store().purgeExpiredChallenges(now);
    assert.equal(await store().takeChallenge("old", at(AN_INSTANT, 0)), null);
    assert.deepEqual(await store().takeChallenge("fresh", now), {
      purpose: "sign_in",
      userId: null,
    });
  });
});
