import assert from "node:assert/strict";
import { test } from "node:test";
import type { MfaChallengeStore } from "../../src/core/second-step.js";
import type { LoginWay } from "../../src/core/session.js";
import { KyselyMfaChallengeStore } from "../../src/core/store/kysely-mfa-challenges.js";
import { AN_INSTANT, at, MINUTE, onEveryDatabase, TIMEOUT } from "./harness.js";

// MfaChallengeStore (src/core/second-step.ts): logins waiting for their
// second step, implemented by KyselyMfaChallengeStore.

await onEveryDatabase("MfaChallengeStore contract", (t) => {
  const store = (): MfaChallengeStore => new KyselyMfaChallengeStore(t.db);
  /** A store over a connection of its own, as another instance has. */
  const another = (): MfaChallengeStore => new KyselyMfaChallengeStore(t.connection());
  const expiresAt = at(AN_INSTANT, 5 * MINUTE);

  async function challenge(
    tokenHash: string,
    options: { userId?: number; firstStep?: LoginWay | null; expiresAt?: Date } = {},
  ): Promise<number> {
    const userId = options.userId ?? (await t.user()).id;
    await store().insertMfaChallenge({
      tokenHash,
      userId,
      createdAt: AN_INSTANT,
      expiresAt: options.expiresAt ?? expiresAt,
      firstStep: options.firstStep === undefined ? "json" : options.firstStep,
    });
    return userId;
  }

  test(
    "reserveMfaAttempt counts one attempt and returns the challenge as stored",
    TIMEOUT,
    async () => {
      const userId = await challenge("waiting", { firstStep: "page" });
      const first = await store().reserveMfaAttempt("waiting", AN_INSTANT, 5);
      assert.deepEqual(first, { userId, expiresAt, failures: 1, firstStep: "page" });
      assert.equal(typeof first?.userId, "number");
      const second = await store().reserveMfaAttempt("waiting", at(AN_INSTANT, MINUTE), 5);
      assert.equal(second?.failures, 2);
    },
  );

  test("the way the password step came in round-trips, null included", TIMEOUT, async () => {
    const ways: Array<LoginWay | null> = ["form", "json", "basic", "page", null];
    const user = await t.user();
    for (const [i, way] of ways.entries()) {
      await challenge(`way-${i}`, { userId: user.id, firstStep: way });
    }
    for (const [i, way] of ways.entries()) {
      assert.equal((await store().reserveMfaAttempt(`way-${i}`, AN_INSTANT, 5))?.firstStep, way);
    }
  });

  test(
    "reserveMfaAttempt: null when the challenge is unknown, expired (at its end) or used up",
    TIMEOUT,
    async () => {
      await challenge("short");
      assert.equal(await store().reserveMfaAttempt("unknown", AN_INSTANT, 5), null);
      assert.equal(
        await store().reserveMfaAttempt("short", expiresAt, 5),
        null,
        "ends at expiresAt",
      );
      assert.equal((await store().reserveMfaAttempt("short", at(expiresAt, -1), 5))?.failures, 1);
      await challenge("three");
      for (const failures of [1, 2, 3]) {
        assert.equal((await store().reserveMfaAttempt("three", AN_INSTANT, 3))?.failures, failures);
      }
      assert.equal(await store().reserveMfaAttempt("three", AN_INSTANT, 3), null, "used up");
      assert.equal(await store().reserveMfaAttempt("three", AN_INSTANT, 3), null);
      // The attempts refused were not counted: a higher limit finds the count at 3.
      assert.equal((await store().reserveMfaAttempt("three", AN_INSTANT, 5))?.failures, 4);
    },
  );

  test("each challenge counts its own attempts", TIMEOUT, async () => {
    const user = await t.user();
    await challenge("one", { userId: user.id });
    await challenge("two", { userId: user.id });
    await store().reserveMfaAttempt("one", AN_INSTANT, 5);
    await store().reserveMfaAttempt("one", AN_INSTANT, 5);
    assert.equal((await store().reserveMfaAttempt("two", AN_INSTANT, 5))?.failures, 1);
  });

  test(
    "of attempts sent at once, from two instances, at most maxAttempts get through",
    TIMEOUT,
    async () => {
      await challenge("burst");
      const stores = [store(), another()];
      const attempts = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          stores[i % 2]?.reserveMfaAttempt("burst", AN_INSTANT, 5),
        ),
      );
      const through = attempts.filter((attempt) => attempt !== null);
      assert.equal(through.length, 5);
      assert.deepEqual(
        through.map((attempt) => attempt?.failures).sort(),
        [1, 2, 3, 4, 5],
        "each counted once",
      );
    },
  );

  test(
    "deleteMfaChallenge: true for the call that deleted it, then false; it is gone",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await challenge("done", { userId: user.id });
      await challenge("other", { userId: user.id });
      assert.equal(await store().deleteMfaChallenge("done"), true);
      assert.equal(await store().deleteMfaChallenge("done"), false);
      assert.equal(await store().deleteMfaChallenge("unknown"), false);
      assert.equal(await store().reserveMfaAttempt("done", AN_INSTANT, 5), null);
      assert.ok(await store().reserveMfaAttempt("other", AN_INSTANT, 5), "another challenge stays");
    },
  );

  test(
    "a challenge is finished once: of concurrent deletes from two instances, one is true",
    TIMEOUT,
    async () => {
      await challenge("raced");
      const stores = [store(), another()];
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => stores[i % 2]?.deleteMfaChallenge("raced")),
      );
      assert.equal(results.filter((deleted) => deleted === true).length, 1);
    },
  );

  test(
    "purgeExpiredMfaChallenges deletes those past their expiry (at it included), not the others",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await challenge("expired", { userId: user.id, expiresAt: at(AN_INSTANT, MINUTE) });
      await challenge("expires-now", { userId: user.id, expiresAt: at(AN_INSTANT, 2 * MINUTE) });
      await challenge("live", { userId: user.id, expiresAt: at(AN_INSTANT, 2 * MINUTE + 1) });
      await store().purgeExpiredMfaChallenges(at(AN_INSTANT, 2 * MINUTE));
      assert.equal(await t.count("mfa_challenges"), 1);
      // Gone even for a `now` at which they were live.
      assert.equal(await store().reserveMfaAttempt("expired", AN_INSTANT, 5), null);
      assert.equal(await store().reserveMfaAttempt("expires-now", AN_INSTANT, 5), null);
      assert.ok(await store().reserveMfaAttempt("live", AN_INSTANT, 5));
    },
  );

  test("the AuthStore's mfaChallenges is this store over the same rows", TIMEOUT, async () => {
    await challenge("shared");
    assert.equal(
      (await t.store.mfaChallenges.reserveMfaAttempt("shared", AN_INSTANT, 5))?.failures,
      1,
    );
    assert.equal((await store().reserveMfaAttempt("shared", AN_INSTANT, 5))?.failures, 2);
    assert.equal(await t.store.mfaChallenges.deleteMfaChallenge("shared"), true);
  });
});
