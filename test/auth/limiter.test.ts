import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ConcurrencyLimiter, ServiceBusyError } from "../../src/auth/limiter.js";

test("runs at most maxInFlight at once, queues in order, refuses past the queue", async () => {
  const limiter = new ConcurrencyLimiter(2, 3);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (id: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await sleep(20);
    order.push(id);
    running--;
    return id;
  };
  const results = await Promise.allSettled(
    Array.from({ length: 7 }, (_, id) => limiter.run(task(id))),
  );
  assert.equal(peak, 2);
  const refused = results.filter((result) => result.status === "rejected");
  assert.equal(refused.length, 2, "2 running + 3 queued; the last 2 refused");
  for (const result of refused)
    assert.ok((result as PromiseRejectedResult).reason instanceof ServiceBusyError);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(limiter.inFlight, 0);
  assert.equal(limiter.queued, 0);
});

test("a failing task frees its slot", async () => {
  const limiter = new ConcurrencyLimiter(1, 0);
  await assert.rejects(
    limiter.run(async () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await limiter.run(async () => 42), 42);
});
