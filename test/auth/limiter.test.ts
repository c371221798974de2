import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ConcurrencyLimiter, ServiceBusyError } from "../../src/core/limiter.js";

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

test("other work holds at most half the slots, has its own queue, and yields to waiting logins", async () => {
  const limiter = new ConcurrencyLimiter(4, 2);
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      gates.push(() => resolve(name));
    });
  const others = Array.from({ length: 6 }, (_, i) =>
    limiter.run(task(`other-${i}`), "other").catch((error: unknown) => error),
  );
  assert.deepEqual(started, ["other-0", "other-1"], "two of four slots");
  assert.ok(limiter.isFull("other"), "two running, two queued: the other lane is full");
  assert.ok(!limiter.isFull("login"), "logins still have slots");
  const refused = await Promise.all(others.slice(4));
  for (const error of refused) assert.ok(error instanceof ServiceBusyError);

  const logins = Array.from({ length: 3 }, (_, i) => limiter.run(task(`login-${i}`), "login"));
  assert.deepEqual(started.slice(2), ["login-0", "login-1"], "logins take the free slots at once");
  // A finished other task frees a slot: the waiting login gets it, not the queued other work.
  gates[0]?.();
  await sleep(1);
  assert.equal(started[4], "login-2");
  while (limiter.inFlight > 0) {
    for (const open of gates.splice(0)) open();
    await sleep(1);
  }
  await Promise.all([...logins, ...others.slice(0, 4)]);
  assert.deepEqual(started.slice(5), ["other-2", "other-3"], "the queued other work ran last");
  assert.equal(limiter.queued, 0);
});

test("waiters are served round robin by key: a flood from one key waits behind itself", async () => {
  const limiter = new ConcurrencyLimiter(1, 32);
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<void>((resolve) => {
      started.push(name);
      gates.push(resolve);
    });
  const runs = Array.from({ length: 10 }, (_, i) => limiter.run(task(`flood-${i}`), "login", "a"));
  runs.push(limiter.run(task("other"), "login", "b"));
  while (started.length < 11) {
    gates.shift()?.();
    await sleep(1);
  }
  await Promise.all(runs.concat(gates.map(async (open) => open())));
  assert.equal(started.indexOf("other"), 2, `served after one turn of the flood: ${started}`);
});

test("a full queue: another key takes the place of the crowding key's newest waiter", async () => {
  const limiter = new ConcurrencyLimiter(1, 4);
  const gates: Array<() => void> = [];
  const task = () => new Promise<void>((resolve) => gates.push(resolve));
  const flood = Array.from({ length: 5 }, () =>
    limiter.run(task, "login", "a").then(
      () => "ran",
      (error: unknown) => (error instanceof ServiceBusyError ? "refused" : "other error"),
    ),
  );
  assert.ok(limiter.isFull("login", "a"), "one running, four of 'a' queued: full for 'a'");
  assert.ok(!limiter.isFull("login", "b"), "but not for another key");
  const other = limiter.run(task, "login", "b");
  assert.equal(limiter.queued, 4);
  while (limiter.inFlight > 0) {
    for (const open of gates.splice(0)) open();
    await sleep(1);
  }
  await other;
  assert.deepEqual(await Promise.all(flood), ["ran", "ran", "ran", "ran", "refused"]);
});
