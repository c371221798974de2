import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselyEmailTokenStore } from "../../../src/capabilities/email-addresses/kysely-store.js";
import { voidPendingEmailChanges } from "../../../src/capabilities/email-addresses/pending-email-changes.js";
import { KyselyMfaStore } from "../../../src/capabilities/second-factor/kysely-store.js";
import type { SecondFactorStore } from "../../../src/capabilities/second-factor/store.js";
import type { TakeBackStep } from "../../../src/core/store/take-back.js";
import {
  AN_INSTANT,
  at,
  HOUR,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  TIMEOUT,
} from "../../contracts/harness.js";

// SecondFactorStore (src/capabilities/second-factor/store.ts), implemented
// by KyselyMfaStore: TOTP factors and recovery codes.

const CODES = { salt: "salt-1", hashes: ["h1", "h2", "h3"] };
const NEW_CODES = { salt: "salt-2", hashes: ["n1", "n2"] };
/** An RFC 6238 step of today's size (unix time / 30 s). */
const STEP = 59_000_123;

await onEveryDatabase("SecondFactorStore contract", (t) => {
  const store = (takeBack: readonly TakeBackStep[] = []): SecondFactorStore =>
    new KyselyMfaStore(t.db, takeBack);

  /** A user whose factor is on, confirmed at `STEP`, with CODES. */
  async function withFactor(takeBack: readonly TakeBackStep[] = []) {
    const user = await t.user();
    const factors = store(takeBack);
    assert.equal(await factors.savePendingTotpFactor(user.id, "sealed", AN_INSTANT), true);
    assert.equal(await factors.enableTotpFactor(user.id, "sealed", STEP, CODES, AN_INSTANT), true);
    return { user, factors };
  }

  const hashesOf = async (factors: SecondFactorStore, userId: number) =>
    (await factors.unusedRecoveryCodes(userId)).map((code) => code.hash).sort();

  test(
    "findTotpFactor: null without a factor; a saved setup is pending, with its sealed secret",
    TIMEOUT,
    async () => {
      const user = await t.user();
      assert.equal(await store().findTotpFactor(user.id), null);
      assert.equal(await store().savePendingTotpFactor(user.id, "sealed-1", AN_INSTANT), true);
      assert.deepEqual(await store().findTotpFactor(user.id), {
        userId: user.id,
        secretSealed: "sealed-1",
        enabledAt: null,
        lastUsedStep: null,
      });
    },
  );

  test(
    "savePendingTotpFactor replaces an earlier setup; false, nothing written, when a factor is on",
    TIMEOUT,
    async () => {
      const pending = await t.user();
      await store().savePendingTotpFactor(pending.id, "first", AN_INSTANT);
      assert.equal(
        await store().savePendingTotpFactor(pending.id, "second", at(AN_INSTANT, 1)),
        true,
      );
      assert.equal((await store().findTotpFactor(pending.id))?.secretSealed, "second");
      const { user, factors } = await withFactor();
      const before = await factors.findTotpFactor(user.id);
      assert.equal(
        await factors.savePendingTotpFactor(user.id, "replacement", at(AN_INSTANT, 1)),
        false,
      );
      assert.deepEqual(await factors.findTotpFactor(user.id), before);
    },
  );

  test(
    "enableTotpFactor turns the pending factor on, its step used, with the recovery codes",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const factors = store();
      await factors.savePendingTotpFactor(user.id, "sealed", AN_INSTANT);
      const on = at(AN_INSTANT, MINUTE + 3);
      assert.equal(await factors.enableTotpFactor(user.id, "sealed", STEP, CODES, on), true);
      assert.deepEqual(await factors.findTotpFactor(user.id), {
        userId: user.id,
        secretSealed: "sealed",
        enabledAt: on,
        lastUsedStep: STEP,
      });
      const codes = await factors.unusedRecoveryCodes(user.id);
      assert.deepEqual(codes.map((code) => code.hash).sort(), ["h1", "h2", "h3"]);
      assert.ok(codes.every((code) => code.salt === "salt-1" && typeof code.id === "number"));
    },
  );

  test(
    "enableTotpFactor: false, nothing written, without a pending factor (none, or one on already)",
    TIMEOUT,
    async () => {
      const none = await t.user();
      assert.equal(
        await store().enableTotpFactor(none.id, "sealed", STEP, CODES, AN_INSTANT),
        false,
      );
      assert.equal(await store().findTotpFactor(none.id), null);
      assert.deepEqual(await store().unusedRecoveryCodes(none.id), []);
      const { user, factors } = await withFactor();
      const before = await factors.findTotpFactor(user.id);
      assert.equal(
        await factors.enableTotpFactor(user.id, "sealed", STEP + 5, NEW_CODES, at(AN_INSTANT, 1)),
        false,
      );
      assert.deepEqual(await factors.findTotpFactor(user.id), before);
      assert.deepEqual(await hashesOf(factors, user.id), ["h1", "h2", "h3"]);
    },
  );

  test(
    "a setup replaced while it is confirmed does not turn the replacement on",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const factors = store();
      assert.ok(await factors.savePendingTotpFactor(user.id, "victims-secret", AN_INSTANT));
      // The victim's confirmation checked its code against "victims-secret"; meanwhile a new setup:
      assert.ok(await factors.savePendingTotpFactor(user.id, "attackers-secret", AN_INSTANT));
      assert.equal(
        await factors.enableTotpFactor(user.id, "victims-secret", STEP, CODES, AN_INSTANT),
        false,
      );
      assert.equal((await factors.findTotpFactor(user.id))?.enabledAt, null, "nothing turned on");
      assert.deepEqual(await factors.unusedRecoveryCodes(user.id), [], "no codes written");
      assert.ok(
        await factors.enableTotpFactor(user.id, "attackers-secret", STEP, CODES, AN_INSTANT),
      );
    },
  );

  test("enableTotpFactor in a transaction that rolls back writes nothing", TIMEOUT, async () => {
    const user = await t.user();
    const factors = store();
    await factors.savePendingTotpFactor(user.id, "sealed", AN_INSTANT);
    assert.equal(
      await inRolledBack(t.store, (tx) =>
        factors.enableTotpFactor(user.id, "sealed", STEP, CODES, AN_INSTANT, tx),
      ),
      true,
    );
    assert.equal((await factors.findTotpFactor(user.id))?.enabledAt, null);
    assert.deepEqual(await factors.unusedRecoveryCodes(user.id), []);
  });

  test(
    "useTotpStep records a step only when every earlier use was of an earlier step",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor();
      assert.equal(await factors.useTotpStep(user.id, STEP), false, "the confirming code's step");
      assert.equal(await factors.useTotpStep(user.id, STEP - 1), false, "an earlier step");
      assert.equal(await factors.useTotpStep(user.id, STEP + 1), true);
      assert.equal((await factors.findTotpFactor(user.id))?.lastUsedStep, STEP + 1);
      assert.equal(await factors.useTotpStep(user.id, STEP + 1), false, "a replay");
      assert.equal(await factors.useTotpStep(user.id, STEP), false);
      assert.equal(
        await factors.useTotpStep(user.id, STEP + 3),
        true,
        "a later step, not the next",
      );
      assert.equal((await factors.findTotpFactor(user.id))?.lastUsedStep, STEP + 3);
      const none = await t.user();
      assert.equal(await factors.useTotpStep(none.id, STEP), false, "no factor: nothing to record");
    },
  );

  test(
    "useTotpStep: of concurrent uses of one step, from two instances, one is recorded",
    TIMEOUT,
    async () => {
      const { user } = await withFactor();
      const stores = [store(), new KyselyMfaStore(t.connection())];
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => stores[i % 2]?.useTotpStep(user.id, STEP + 1)),
      );
      assert.equal(results.filter((used) => used === true).length, 1);
    },
  );

  test(
    "deleteSecondFactor deletes the factor, codes and waiting logins, voids email changes: true when one was on",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor([voidPendingEmailChanges]);
      const other = await withFactor([voidPendingEmailChanges]);
      const emailTokens = new KyselyEmailTokenStore(t.db);
      for (const [userId, name] of [
        [user.id, "mine"],
        [other.user.id, "theirs"],
      ] as const) {
        await t.store.mfaChallenges.insertMfaChallenge({
          tokenHash: `waiting-${name}`,
          userId,
          createdAt: AN_INSTANT,
          expiresAt: at(AN_INSTANT, 5 * MINUTE),
          firstStep: null,
        });
        for (const purpose of ["change", "verify"] as const) {
          await emailTokens.insertEmailToken({
            userId,
            purpose,
            email: `${purpose}-${name}@example.com`,
            tokenHash: `${purpose}-${name}`,
            sessionPublicId: null,
            createdAt: AN_INSTANT,
            expiresAt: at(AN_INSTANT, HOUR),
          });
        }
      }
      assert.equal(await factors.deleteSecondFactor(user.id), true);
      assert.equal(await factors.findTotpFactor(user.id), null);
      assert.equal(await t.count("recovery_codes", user.id), 0);
      assert.equal(
        await t.store.mfaChallenges.reserveMfaAttempt("waiting-mine", AN_INSTANT, 5),
        null,
      );
      assert.equal(await emailTokens.findEmailToken("change-mine"), null, "pending change voided");
      assert.ok(await emailTokens.findEmailToken("verify-mine"), "a verification is no take-over");
      // The other user's are untouched.
      assert.ok((await factors.findTotpFactor(other.user.id))?.enabledAt);
      assert.deepEqual(await hashesOf(factors, other.user.id), ["h1", "h2", "h3"]);
      assert.ok(await t.store.mfaChallenges.reserveMfaAttempt("waiting-theirs", AN_INSTANT, 5));
      assert.ok(await emailTokens.findEmailToken("change-theirs"));
      assert.equal(await factors.deleteSecondFactor(user.id), false, "none on any more");
    },
  );

  test(
    "deleteSecondFactor: false when no factor was on, a pending one deleted all the same",
    TIMEOUT,
    async () => {
      const user = await t.user();
      assert.equal(await store().deleteSecondFactor(user.id), false);
      await store().savePendingTotpFactor(user.id, "pending", AN_INSTANT);
      assert.equal(await store().deleteSecondFactor(user.id), false);
      assert.equal(await store().findTotpFactor(user.id), null);
    },
  );

  test(
    "deleteSecondFactor writes nothing when its transaction rolls back or a take-back step fails",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor();
      const before = await factors.findTotpFactor(user.id);
      assert.equal(
        await inRolledBack(t.store, (tx) => factors.deleteSecondFactor(user.id, tx)),
        true,
      );
      assert.deepEqual(await factors.findTotpFactor(user.id), before);
      assert.deepEqual(await hashesOf(factors, user.id), ["h1", "h2", "h3"]);
      const ran: number[] = [];
      const failing = store([
        async (_trx, userId) => {
          ran.push(userId);
          throw new Error("take-back step failed");
        },
      ]);
      await assert.rejects(failing.deleteSecondFactor(user.id), /take-back step failed/);
      assert.deepEqual(ran, [user.id]);
      assert.deepEqual(await factors.findTotpFactor(user.id), before);
      assert.deepEqual(await hashesOf(factors, user.id), ["h1", "h2", "h3"]);
    },
  );

  test(
    "replaceRecoveryCodes puts a new set in place of the old one while a factor is on",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor();
      const old = await factors.unusedRecoveryCodes(user.id);
      assert.equal(await factors.replaceRecoveryCodes(user.id, NEW_CODES, at(AN_INSTANT, 1)), true);
      const codes = await factors.unusedRecoveryCodes(user.id);
      assert.deepEqual(codes.map((code) => code.hash).sort(), ["n1", "n2"]);
      assert.ok(codes.every((code) => code.salt === "salt-2"));
      assert.equal(
        await factors.useRecoveryCode(old[0]?.id as number, at(AN_INSTANT, 2)),
        false,
        "old codes are gone",
      );
    },
  );

  test(
    "replaceRecoveryCodes: false, nothing written, without a factor on; nothing when rolled back",
    TIMEOUT,
    async () => {
      const none = await t.user();
      assert.equal(await store().replaceRecoveryCodes(none.id, NEW_CODES, AN_INSTANT), false);
      await store().savePendingTotpFactor(none.id, "pending", AN_INSTANT);
      assert.equal(await store().replaceRecoveryCodes(none.id, NEW_CODES, AN_INSTANT), false);
      assert.equal(await t.count("recovery_codes", none.id), 0);
      const { user, factors } = await withFactor();
      assert.equal(
        await inRolledBack(t.store, (tx) =>
          factors.replaceRecoveryCodes(user.id, NEW_CODES, AN_INSTANT, tx),
        ),
        true,
      );
      assert.deepEqual(await hashesOf(factors, user.id), ["h1", "h2", "h3"]);
    },
  );

  test(
    "useRecoveryCode: true once, then false; a used code is no longer listed",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor();
      const [first, second] = await factors.unusedRecoveryCodes(user.id);
      assert.ok(first && second);
      assert.equal(await factors.useRecoveryCode(first.id, AN_INSTANT), true);
      assert.equal(await factors.useRecoveryCode(first.id, at(AN_INSTANT, 1)), false);
      const left = await factors.unusedRecoveryCodes(user.id);
      assert.equal(left.length, 2);
      assert.ok(!left.some((code) => code.id === first.id));
      assert.ok(left.some((code) => code.id === second.id));
      assert.equal(await factors.useRecoveryCode(987_654, AN_INSTANT), false, "no such code");
    },
  );

  test(
    "useRecoveryCode: of concurrent uses of one code, from two instances, one wins",
    TIMEOUT,
    async () => {
      const { user, factors } = await withFactor();
      const [code] = await factors.unusedRecoveryCodes(user.id);
      assert.ok(code);
      const stores = [factors, new KyselyMfaStore(t.connection())];
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => stores[i % 2]?.useRecoveryCode(code.id, AN_INSTANT)),
      );
      assert.equal(results.filter((used) => used === true).length, 1);
    },
  );
});
