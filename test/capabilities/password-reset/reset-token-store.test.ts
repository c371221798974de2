import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselyEmailTokenStore } from "../../../src/capabilities/email-addresses/kysely-store.js";
import { voidPendingEmailChanges } from "../../../src/capabilities/email-addresses/pending-email-changes.js";
import { KyselyResetTokenStore } from "../../../src/capabilities/password-reset/kysely-store.js";
import type { ResetTokenStore } from "../../../src/capabilities/password-reset/store.js";
import type { TakeBackStep } from "../../../src/core/store/take-back.js";
import { hashToken } from "../../../src/core/token.js";
import type { UserRecord } from "../../../src/core/user.js";
import {
  AN_INSTANT,
  at,
  HOUR,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  TIMEOUT,
} from "../../contracts/harness.js";

// ResetTokenStore (src/capabilities/password-reset/store.ts), implemented by
// KyselyResetTokenStore: password reset tokens and completing a reset.

await onEveryDatabase("ResetTokenStore contract", (t) => {
  const store = (takeBack: readonly TakeBackStep[] = []): ResetTokenStore =>
    new KyselyResetTokenStore(t.db, takeBack);
  const later = at(AN_INSTANT, HOUR);
  const add = (user: UserRecord, hash: string, maxLive = 10, mailed?: boolean) =>
    store().addResetToken(user.id, hash, AN_INSTANT, later, maxLive, mailed);

  async function session(user: UserRecord, name: string) {
    await t.store.insertSession({
      publicId: name,
      tokenHash: hashToken(name),
      userId: user.id,
      createdAt: AN_INSTANT,
      expiresAt: at(AN_INSTANT, 30 * 24 * HOUR),
      ip: null,
      userAgent: null,
    });
  }

  test(
    "addResetToken keeps several live per user; findResetToken gives each as stored",
    TIMEOUT,
    async () => {
      const user = await t.user("Ivan@Example.com");
      await add(user, "hash-a");
      await store().addResetToken(user.id, "hash-b", AN_INSTANT, at(later, 7), 10);
      assert.deepEqual(await store().findResetToken("hash-a"), {
        userId: user.id,
        emailNormalized: "ivan@example.com",
        expiresAt: later,
      });
      assert.equal(
        (await store().findResetToken("hash-b"))?.expiresAt.getTime(),
        at(later, 7).getTime(),
      );
      assert.equal(await store().findResetToken("unknown"), null);
    },
  );

  test("reset tokens past the live limit void the oldest; expired ones go", TIMEOUT, async () => {
    const user = await t.user();
    const other = await t.user();
    await store().addResetToken(
      user.id,
      "gone",
      at(AN_INSTANT, -2 * HOUR),
      at(AN_INSTANT, -HOUR),
      2,
    );
    await store().addResetToken(
      other.id,
      "others",
      at(AN_INSTANT, -2 * HOUR),
      at(AN_INSTANT, -HOUR),
      2,
    );
    for (const hash of ["one", "two", "three"]) await add(user, hash, 2);
    assert.equal(await store().findResetToken("one"), null, "the oldest beyond 2");
    assert.ok(await store().findResetToken("two"));
    assert.ok(await store().findResetToken("three"));
    assert.equal(await store().findResetToken("gone"), null, "expired at the new one's creation");
    assert.ok(
      await store().findResetToken("others"),
      "another user's, even expired, is not this user's to void",
    );
  });

  test(
    "addResetToken in a transaction that rolls back writes nothing and voids nothing",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await add(user, "kept", 1);
      await inRolledBack(t.store, (tx) =>
        store().addResetToken(user.id, "never", AN_INSTANT, later, 1, false, tx),
      );
      assert.equal(await store().findResetToken("never"), null);
      assert.ok(await store().findResetToken("kept"), "not voided by the rolled-back one");
    },
  );

  test(
    "completePasswordReset: the new hash, every session ended, the other tokens and waiting logins voided, take-back steps run",
    TIMEOUT,
    async () => {
      const ran: number[] = [];
      const resets = store([
        voidPendingEmailChanges,
        async (_trx, userId) => {
          ran.push(userId);
        },
      ]);
      const emailTokens = new KyselyEmailTokenStore(t.db);
      const user = await t.user();
      const other = await t.user();
      for (const owner of [user, other]) {
        const name = owner === user ? "mine" : "theirs";
        await session(owner, `session-${name}`);
        await add(owner, `reset-${name}`);
        await add(owner, `another-reset-${name}`);
        await t.store.mfaChallenges.insertMfaChallenge({
          tokenHash: `waiting-${name}`,
          userId: owner.id,
          createdAt: AN_INSTANT,
          expiresAt: at(AN_INSTANT, 5 * MINUTE),
          firstStep: null,
        });
        await emailTokens.insertEmailToken({
          userId: owner.id,
          purpose: "change",
          email: `change-${name}@example.com`,
          tokenHash: `change-${name}`,
          sessionPublicId: null,
          createdAt: AN_INSTANT,
          expiresAt: later,
        });
      }
      const now = at(AN_INSTANT, MINUTE + 9);
      assert.equal(
        await resets.completePasswordReset("reset-mine", user.id, "new-hash", now),
        true,
      );
      const changed = await t.store.findUser({ id: user.id });
      assert.equal(changed?.hashedPassword, "new-hash");
      assert.equal(changed?.updatedAt.getTime(), now.getTime());
      assert.equal(changed?.emailVerifiedAt, null, "not mailed: the address is not proven");
      assert.equal(await t.count("sessions", user.id), 0);
      assert.equal(await resets.findResetToken("reset-mine"), null);
      assert.equal(
        await resets.findResetToken("another-reset-mine"),
        null,
        "a completed reset voids the others",
      );
      assert.equal(
        await t.store.mfaChallenges.reserveMfaAttempt("waiting-mine", AN_INSTANT, 5),
        null,
      );
      assert.equal(await emailTokens.findEmailToken("change-mine"), null);
      assert.deepEqual(ran, [user.id]);
      // The other user keeps everything.
      assert.deepEqual(await t.store.findUser({ id: other.id }), other);
      assert.equal(await t.count("sessions", other.id), 1);
      assert.ok(await resets.findResetToken("reset-theirs"));
      assert.ok(await resets.findResetToken("another-reset-theirs"));
      assert.ok(await t.store.mfaChallenges.reserveMfaAttempt("waiting-theirs", AN_INSTANT, 5));
      assert.ok(await emailTokens.findEmailToken("change-theirs"));
    },
  );

  test(
    "completePasswordReset with a mailed token marks the address verified at now",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await add(user, "mailed", 10, true);
      const now = at(AN_INSTANT, 33);
      assert.equal(await store().completePasswordReset("mailed", user.id, "new", now), true);
      assert.equal(
        (await t.store.findUser({ id: user.id }))?.emailVerifiedAt?.getTime(),
        now.getTime(),
      );
    },
  );

  test(
    "completePasswordReset: false, nothing written, for an unknown, expired or another user's token",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      await session(user, "stays");
      await add(user, "mine", 10, true);
      await add(other, "theirs");
      assert.equal(
        await store().completePasswordReset("unknown", user.id, "new", AN_INSTANT),
        false,
      );
      assert.equal(
        await store().completePasswordReset("mine", user.id, "new", later),
        false,
        "at its expiry",
      );
      assert.equal(
        await store().completePasswordReset("theirs", user.id, "new", AN_INSTANT),
        false,
      );
      assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      assert.deepEqual(await t.store.findUser({ id: other.id }), other);
      assert.equal(await t.count("sessions", user.id), 1);
      assert.ok(await store().findResetToken("mine"));
      assert.ok(await store().findResetToken("theirs"));
    },
  );

  test("an expired reset token cannot be consumed and nothing is written", TIMEOUT, async () => {
    const user = await t.user();
    await store().addResetToken(
      user.id,
      "hash-x",
      at(AN_INSTANT, -2 * HOUR),
      at(AN_INSTANT, -HOUR),
      10,
    );
    assert.equal(await store().completePasswordReset("hash-x", user.id, "new", AN_INSTANT), false);
    assert.equal((await t.store.findUser({ id: user.id }))?.hashedPassword, user.hashedPassword);
  });

  test(
    "completePasswordReset writes nothing when its transaction rolls back or a take-back step fails",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await session(user, "stays");
      await add(user, "token", 10, true);
      await add(user, "another");
      const unchanged = async () => {
        assert.deepEqual(await t.store.findUser({ id: user.id }), user);
        assert.equal(await t.count("sessions", user.id), 1);
        assert.ok(await store().findResetToken("token"));
        assert.ok(await store().findResetToken("another"));
      };
      assert.equal(
        await inRolledBack(t.store, (tx) =>
          store().completePasswordReset("token", user.id, "new", AN_INSTANT, tx),
        ),
        true,
      );
      await unchanged();
      const failing = store([
        async () => {
          throw new Error("take-back step failed");
        },
      ]);
      await assert.rejects(
        failing.completePasswordReset("token", user.id, "new", AN_INSTANT),
        /take-back step failed/,
      );
      await unchanged();
    },
  );

  test(
    "reset tokens: of concurrent resets with one token, from two instances, one wins",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await add(user, "raced");
      const stores = [store(), new KyselyResetTokenStore(t.connection())];
      const attempts = await Promise.all(
        ["new-1", "new-2", "new-3", "new-4"].map((hash, i) =>
          stores[i % 2]?.completePasswordReset("raced", user.id, hash, AN_INSTANT),
        ),
      );
      assert.equal(attempts.filter(Boolean).length, 1);
      const winner = ["new-1", "new-2", "new-3", "new-4"][attempts.indexOf(true)];
      assert.equal(
        (await t.store.findUser({ id: user.id }))?.hashedPassword,
        winner,
        "the winner's hash",
      );
      assert.equal(await store().findResetToken("raced"), null);
    },
  );

  test(
    "purgeExpiredResetTokens deletes the tokens past their expiry (at it included), not the others",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      await store().addResetToken(
        user.id,
        "expired",
        at(AN_INSTANT, -HOUR),
        at(AN_INSTANT, -1),
        10,
      );
      await store().addResetToken(other.id, "expires-now", at(AN_INSTANT, -HOUR), AN_INSTANT, 10);
      await store().addResetToken(user.id, "live", at(AN_INSTANT, -HOUR), at(AN_INSTANT, 1), 10);
      await store().purgeExpiredResetTokens(AN_INSTANT);
      assert.equal(await store().findResetToken("expired"), null);
      assert.equal(await store().findResetToken("expires-now"), null);
      assert.ok(await store().findResetToken("live"));
    },
  );
});
