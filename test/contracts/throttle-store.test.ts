import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AN_INSTANT,
  at,
  HOUR,
  MINUTE,
  onEveryThrottleBackend,
  SECOND,
  TIMEOUT,
} from "./harness.js";

// ThrottleStore (src/core/throttle.ts): the login throttling's counters and
// locks, in the database (KyselyThrottleStore) or in Redis (RedisThrottleStore).

await onEveryThrottleBackend("ThrottleStore contract", (t) => {
  let n = 0;
  const key = () => `account:contract-${++n}`;
  /**
   * When a window starts: any instant for the databases, which close windows
   * by the `now` they are given; now for Redis, which closes them by expiring
   * the key on its own clock and tells the end as `now` + what is left.
   */
  const windowStart = () => (t.windowClock === "given" ? AN_INSTANT : new Date());
  /** How close a window's end must be: exact on the databases; Redis's clock runs meanwhile. */
  const assertWindowEnd = (actual: Date, expected: Date) => {
    if (t.windowClock === "given") assert.equal(actual.getTime(), expected.getTime());
    else assert.ok(Math.abs(actual.getTime() - expected.getTime()) < 2 * SECOND, `${actual}`);
  };

  test("the first failure counts 1 and opens a window of windowMs", TIMEOUT, async () => {
    const k = key();
    const now = windowStart();
    const first = await t.store.recordFailure(k, now, MINUTE);
    assert.equal(first.failures, 1);
    assert.ok(first.windowEndsAt instanceof Date);
    assertWindowEnd(first.windowEndsAt, at(now, MINUTE));
  });

  test(
    "failures within the window add up; the window keeps the end its first failure gave it",
    TIMEOUT,
    async () => {
      const k = key();
      const now = windowStart();
      await t.store.recordFailure(k, now, MINUTE);
      const later = t.windowClock === "given" ? at(now, 30 * SECOND) : now;
      // A longer window asked for meanwhile does not move the end: the window is fixed.
      const second = await t.store.recordFailure(k, later, HOUR);
      assert.equal(second.failures, 2);
      assertWindowEnd(second.windowEndsAt, at(now, MINUTE));
      const third = await t.store.recordFailure(k, later, MINUTE);
      assert.equal(third.failures, 3);
      assertWindowEnd(third.windowEndsAt, at(now, MINUTE));
      if (t.countExpiresInMs) {
        const left = await t.countExpiresInMs(k);
        assert.ok(
          left > 0 && left <= MINUTE,
          `Redis expires the count with the window (${left} ms)`,
        );
      }
    },
  );

  test(
    "a window closes at its end, then counting starts again at 1 (Redis: by the count's expiry)",
    TIMEOUT,
    async () => {
      const k = key();
      if (t.countExpiresInMs) {
        // Redis closes a window on its own clock, by expiring the count's key
        // (no waiting here): the key must carry the window as its expiry.
        await t.store.recordFailure(k, new Date(), 5 * SECOND);
        const left = await t.countExpiresInMs(k);
        assert.ok(left > 0 && left <= 5 * SECOND, `the count expires in ${left} ms`);
        return;
      }
      const now = AN_INSTANT;
      await t.store.recordFailure(k, now, MINUTE);
      assert.equal((await t.store.recordFailure(k, at(now, MINUTE - 1), MINUTE)).failures, 2);
      const reopened = await t.store.recordFailure(k, at(now, MINUTE), MINUTE);
      assert.equal(reopened.failures, 1, "closed at its end");
      assert.equal(reopened.windowEndsAt.getTime(), at(now, 2 * MINUTE).getTime());
      assert.equal((await t.store.recordFailure(k, at(now, MINUTE), MINUTE)).failures, 2);
    },
  );

  test("concurrent failures, from two instances, are all counted, each once", TIMEOUT, async () => {
    const k = key();
    const now = windowStart();
    const stores = [t.store, await t.another()];
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 2]?.recordFailure(k, now, MINUTE)),
    );
    assert.deepEqual(
      counts.map((count) => count?.failures).sort((a = 0, b = 0) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  test("keys count apart", TIMEOUT, async () => {
    const [a, b] = [key(), key()];
    const now = windowStart();
    await t.store.recordFailure(a, now, MINUTE);
    await t.store.recordFailure(a, now, MINUTE);
    assert.equal((await t.store.recordFailure(b, now, MINUTE)).failures, 1);
  });

  test(
    "lockedUntil: null while none of the keys is locked (or none is given); counts alone lock nothing",
    TIMEOUT,
    async () => {
      const [a, b] = [key(), key()];
      const now = AN_INSTANT;
      assert.equal(await t.store.lockedUntil([a, b], now), null);
      await t.store.recordFailure(a, now, MINUTE);
      assert.equal(await t.store.lockedUntil([a, b], now), null);
      await t.store.lock(a, at(now, MINUTE));
      assert.equal(await t.store.lockedUntil([], now), null, "no key: none is locked");
    },
  );

  test(
    "lockedUntil: the latest lock end among the keys, exactly, until it is reached",
    TIMEOUT,
    async () => {
      const [a, b, never] = [key(), key(), key()];
      const now = AN_INSTANT;
      await t.store.recordFailure(a, now, MINUTE);
      await t.store.recordFailure(b, now, MINUTE);
      await t.store.lock(a, at(now, 5 * SECOND + 1));
      await t.store.lock(b, at(now, 9 * SECOND + 7));
      const until = await t.store.lockedUntil([a, never, b], now);
      assert.ok(until instanceof Date);
      assert.equal(until.getTime(), at(now, 9 * SECOND + 7).getTime());
      assert.equal(
        (await t.store.lockedUntil([a], now))?.getTime(),
        at(now, 5 * SECOND + 1).getTime(),
      );
      assert.equal(await t.store.lockedUntil([never], now), null);
      // Until the end, not at it: a lock ending at `now` has ended.
      const justBefore = at(now, 5 * SECOND);
      assert.equal(
        (await t.store.lockedUntil([a], justBefore))?.getTime(),
        at(now, 5 * SECOND + 1).getTime(),
      );
      assert.equal(await t.store.lockedUntil([a], at(now, 5 * SECOND + 1)), null);
      assert.equal(
        (await t.store.lockedUntil([a, b], at(now, 5 * SECOND + 1)))?.getTime(),
        at(now, 9 * SECOND + 7).getTime(),
        "b still locked",
      );
      assert.equal(await t.store.lockedUntil([a, b], at(now, HOUR)), null);
    },
  );

  test("clear removes the key's count and lock, and only that key's", TIMEOUT, async () => {
    const [a, b] = [key(), key()];
    const now = AN_INSTANT;
    const windowNow = windowStart();
    await t.store.recordFailure(a, windowNow, MINUTE);
    await t.store.recordFailure(a, windowNow, MINUTE);
    await t.store.recordFailure(b, windowNow, MINUTE);
    await t.store.lock(a, at(now, MINUTE));
    await t.store.lock(b, at(now, MINUTE));
    await t.store.clear(a);
    assert.equal(await t.store.lockedUntil([a], now), null);
    assert.equal((await t.store.recordFailure(a, windowNow, MINUTE)).failures, 1);
    assert.equal((await t.store.lockedUntil([b], now))?.getTime(), at(now, MINUTE).getTime());
    assert.equal((await t.store.recordFailure(b, windowNow, MINUTE)).failures, 2);
    await t.store.clear(key()); // a key with nothing under it: nothing to do, no error
  });

  test("every instance over the same store sees the same counts and locks", TIMEOUT, async () => {
    const k = key();
    const now = AN_INSTANT;
    const windowNow = windowStart();
    const other = await t.another();
    await t.store.recordFailure(k, windowNow, MINUTE);
    assert.equal((await other.recordFailure(k, windowNow, MINUTE)).failures, 2);
    await t.store.lock(k, at(now, MINUTE));
    assert.equal((await other.lockedUntil([k], now))?.getTime(), at(now, MINUTE).getTime());
    await other.clear(k);
    assert.equal(await t.store.lockedUntil([k], now), null);
    assert.equal((await t.store.recordFailure(k, windowNow, MINUTE)).failures, 1);
  });
});
