import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselyWebhookStore } from "../../../src/capabilities/webhooks/kysely-store.js";
import type {
  ClaimLimits,
  QueuedMessage,
  WebhookDelivery,
  WebhookStore,
} from "../../../src/capabilities/webhooks/store.js";
import {
  AN_INSTANT,
  at,
  DAY,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  SECOND,
  TIMEOUT,
} from "../../contracts/harness.js";
import { manualClock } from "../../helpers/clock.js";

// WebhookStore (src/capabilities/webhooks/store.ts), implemented by
// KyselyWebhookStore (its per-endpoint claims in claims.ts): endpoints and
// the durable delivery queue.

const LIMITS: ClaimLimits = { leaseMs: 60_000, limit: 10, perEndpoint: 2 };
const URL = "https://hooks.example.test/in";

const message = (messageId: string, type = "a"): QueuedMessage => ({
  messageId,
  type,
  payload: `{"id":"${messageId}"}`,
});
const idsOf = (claimed: WebhookDelivery[]) =>
  claimed.map((delivery) => delivery.id).sort((a, b) => a - b);

await onEveryDatabase("WebhookStore contract", (t) => {
  const store = (): WebhookStore => new KyselyWebhookStore(t.db);
  /** A store over a connection of its own, as another process (worker) would have. */
  const openStore = (): WebhookStore => new KyselyWebhookStore(t.connection());

  async function endpointWith(
    webhooks: WebhookStore,
    deliveries: number,
    now: Date,
    events = ["a"],
  ) {
    const { id } = await webhooks.addEndpoint(URL, events, "sealed", now);
    const ids: number[] = [];
    for (let i = 0; i < deliveries; i++) {
      ids.push((await webhooks.enqueueForEndpoint(id, message(`msg_${id}_${i}`), now)) as number);
    }
    return { id, deliveries: ids };
  }

  test(
    "addEndpoint returns the endpoint as listed; listEndpoints never shows a secret",
    TIMEOUT,
    async () => {
      const added = await store().addEndpoint(
        URL,
        ["user.created", "login.succeeded"],
        "sealed-secret",
        AN_INSTANT,
      );
      assert.equal(typeof added.id, "number");
      assert.deepEqual(added, {
        id: added.id,
        url: URL,
        events: ["user.created", "login.succeeded"],
        createdAt: AN_INSTANT,
      });
      const second = await store().addEndpoint(
        "https://other.example.test/",
        ["a"],
        "s2",
        at(AN_INSTANT, 1),
      );
      const listed = await store().listEndpoints();
      assert.deepEqual(
        listed.sort((a, b) => a.id - b.id),
        [added, second].sort((a, b) => a.id - b.id),
      );
      assert.ok(listed.every((endpoint) => !JSON.stringify(endpoint).includes("sealed-secret")));
    },
  );

  test(
    "removeEndpoint: true once, its pending deliveries with it; false for no such endpoint",
    TIMEOUT,
    async () => {
      const gone = await endpointWith(store(), 2, AN_INSTANT);
      const stays = await endpointWith(store(), 1, AN_INSTANT);
      assert.equal(await store().removeEndpoint(gone.id), true);
      assert.equal(await store().removeEndpoint(gone.id), false);
      assert.equal(await store().removeEndpoint(987_654), false);
      assert.deepEqual(
        (await store().listEndpoints()).map((endpoint) => endpoint.id),
        [stays.id],
      );
      assert.equal(await t.count("webhook_deliveries"), 1);
      assert.equal(await store().claimOne(gone.deliveries[0] as number, AN_INSTANT, MINUTE), null);
      assert.deepEqual(idsOf(await store().claimDue(AN_INSTANT, LIMITS)), stays.deliveries);
    },
  );

  test(
    "enqueueForSubscribers queues one delivery per endpoint subscribed to the type, and says how many",
    TIMEOUT,
    async () => {
      assert.equal(
        await store().enqueueForSubscribers(message("msg_0", "user.created"), AN_INSTANT),
        0,
        "no endpoint",
      );
      const both = await store().addEndpoint(
        URL,
        ["user.created", "user.deleted"],
        "s1",
        AN_INSTANT,
      );
      const created = await store().addEndpoint(URL, ["user.created"], "s2", AN_INSTANT);
      const prefix = await store().addEndpoint(
        URL,
        ["user.create", "user.created.x"],
        "s3",
        AN_INSTANT,
      );
      const now = at(AN_INSTANT, 5);
      assert.equal(await store().enqueueForSubscribers(message("msg_1", "user.created"), now), 2);
      assert.equal(await store().enqueueForSubscribers(message("msg_2", "user.deleted"), now), 1);
      assert.equal(await store().enqueueForSubscribers(message("msg_3", "login.failed"), now), 0);
      const claimed: WebhookDelivery[] = [];
      for (let round = 0; round < 3; round++)
        claimed.push(...(await store().claimDue(now, LIMITS)));
      assert.deepEqual(
        claimed.map((delivery) => `${delivery.endpointId}:${delivery.messageId}`).sort(),
        [`${both.id}:msg_1`, `${both.id}:msg_2`, `${created.id}:msg_1`].sort(),
      );
      assert.ok(
        !claimed.some((delivery) => delivery.endpointId === prefix.id),
        "types match whole",
      );
      const delivery = claimed.find((each) => each.endpointId === created.id);
      assert.ok(delivery);
      assert.deepEqual(delivery, {
        id: delivery.id,
        endpointId: created.id,
        url: URL,
        secretSealed: "s2",
        messageId: "msg_1",
        eventType: "user.created",
        payload: '{"id":"msg_1"}',
        createdAt: now,
        attempts: 1,
        endpointFailures: 0,
      });
      assert.equal(typeof delivery.id, "number");
    },
  );

  test(
    "enqueueForSubscribers in a transaction: delivered only if it commits",
    TIMEOUT,
    async () => {
      await store().addEndpoint(URL, ["a"], "s", AN_INSTANT);
      assert.equal(
        await inRolledBack(t.store, (tx) =>
          store().enqueueForSubscribers(message("never"), AN_INSTANT, tx),
        ),
        1,
      );
      assert.equal(await store().nextAttemptAt(), null);
      assert.deepEqual(await store().claimDue(AN_INSTANT, LIMITS), []);
      await t.store.transaction((tx) =>
        store().enqueueForSubscribers(message("kept"), AN_INSTANT, tx),
      );
      assert.deepEqual(
        (await store().claimDue(AN_INSTANT, LIMITS)).map((delivery) => delivery.messageId),
        ["kept"],
      );
    },
  );

  test(
    "enqueueForEndpoint queues for that endpoint whatever it subscribes to; null for no such endpoint",
    TIMEOUT,
    async () => {
      const { id } = await store().addEndpoint(URL, ["something.else"], "s", AN_INSTANT);
      const deliveryId = await store().enqueueForEndpoint(
        id,
        message("msg_test", "webhook.test"),
        AN_INSTANT,
      );
      assert.equal(typeof deliveryId, "number");
      const claimed = await store().claimOne(deliveryId as number, AN_INSTANT, MINUTE);
      assert.equal(claimed?.eventType, "webhook.test");
      assert.equal(claimed?.endpointId, id);
      assert.equal(
        await store().enqueueForEndpoint(987_654, message("msg_none"), AN_INSTANT),
        null,
      );
      assert.equal(await t.count("webhook_deliveries"), 1);
    },
  );

  test(
    "one delivery per endpoint per round, at most perEndpoint in flight over every worker",
    TIMEOUT,
    async () => {
      const clock = manualClock(AN_INSTANT.getTime());
      const webhooks = store();
      const busy = await endpointWith(webhooks, 5, clock.now());
      const quiet = await endpointWith(webhooks, 1, clock.now());
      const first = await webhooks.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(first), [busy.deliveries[0], quiet.deliveries[0]]);
      await webhooks.deleteDelivery(quiet.deliveries[0] as number);
      assert.deepEqual(idsOf(await webhooks.claimDue(clock.now(), LIMITS)), [busy.deliveries[1]]);
      // The busy endpoint has its two in flight: nothing more, for this worker or another.
      assert.deepEqual(await webhooks.claimDue(clock.now(), LIMITS), []);
      assert.deepEqual(await openStore().claimDue(clock.now(), LIMITS), []);
      await webhooks.deleteDelivery(busy.deliveries[0] as number);
      assert.deepEqual(idsOf(await openStore().claimDue(clock.now(), LIMITS)), [
        busy.deliveries[2],
      ]);
      // A lease that runs out (its worker died) frees the place.
      clock.advance(LIMITS.leaseMs);
      const retaken = [
        ...(await webhooks.claimDue(clock.now(), LIMITS)),
        ...(await webhooks.claimDue(clock.now(), LIMITS)),
      ];
      assert.equal(retaken.length, 2);
      assert.deepEqual(await webhooks.claimDue(clock.now(), LIMITS), []);
      assert.ok(retaken.every((delivery) => delivery.endpointId === busy.id));
      assert.ok(retaken.every((delivery) => delivery.endpointFailures === 0));
    },
  );

  test(
    "claimDue: the endpoints waiting longest first, at most `limit` deliveries",
    TIMEOUT,
    async () => {
      const second = await endpointWith(store(), 0, AN_INSTANT);
      const first = await endpointWith(store(), 0, AN_INSTANT);
      const third = await endpointWith(store(), 0, AN_INSTANT);
      const d2 = await store().enqueueForEndpoint(second.id, message("m2"), at(AN_INSTANT, 2));
      const d1 = await store().enqueueForEndpoint(first.id, message("m1"), at(AN_INSTANT, 1));
      await store().enqueueForEndpoint(third.id, message("m3"), at(AN_INSTANT, 3));
      const now = at(AN_INSTANT, 10);
      assert.deepEqual(
        idsOf(await store().claimDue(now, { ...LIMITS, limit: 2 })),
        [d1, d2].sort((a, b) => (a as number) - (b as number)),
      );
      assert.deepEqual(
        (await store().claimDue(now, LIMITS)).map((delivery) => delivery.messageId),
        ["m3"],
      );
      assert.deepEqual(await store().claimDue(at(AN_INSTANT, 2), LIMITS), [], "none due");
    },
  );

  test(
    "a delivery is claimed by one worker at a time: concurrent claims from two instances never share one",
    TIMEOUT,
    async () => {
      const endpoints = [];
      for (let i = 0; i < 4; i++) endpoints.push(await endpointWith(store(), 3, AN_INSTANT));
      const workers = [store(), openStore()];
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => workers[i % 2]?.claimDue(AN_INSTANT, LIMITS) ?? []),
      );
      const claimed = claims.flat().map((delivery) => delivery.id);
      assert.ok(claimed.length > 0);
      assert.equal(new Set(claimed).size, claimed.length, "no delivery claimed twice");
    },
  );

  test(
    "a failing endpoint backs off by itself, then probes one delivery at a time, and recovers",
    TIMEOUT,
    async () => {
      const clock = manualClock(AN_INSTANT.getTime());
      const webhooks = store();
      const failing = await endpointWith(webhooks, 3, clock.now());
      const [c1, c2, c3] = failing.deliveries as [number, number, number];
      const healthy = await endpointWith(webhooks, 0, clock.now());
      const start = clock.now().getTime();

      assert.deepEqual(idsOf(await webhooks.claimDue(clock.now(), { ...LIMITS, perEndpoint: 1 })), [
        c1,
      ]);
      await webhooks.rescheduleDelivery(c1, new Date(start + 5000), "HTTP 500");
      await webhooks.endpointFailed(failing.id, new Date(start + 5000));
      // Its other deliveries are due, but the endpoint waits; another endpoint does not.
      const other = await webhooks.enqueueForEndpoint(
        healthy.id,
        message("msg_healthy"),
        clock.now(),
      );
      assert.deepEqual(idsOf(await webhooks.claimDue(clock.now(), LIMITS)), [other]);
      await webhooks.deleteDelivery(other as number);
      assert.equal((await webhooks.nextAttemptAt())?.getTime(), start + 5000);

      clock.advance(5000);
      // The one that waited longest goes first, not the one that just failed; one at a time.
      const probe = await webhooks.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(probe), [c2]);
      assert.equal(probe[0]?.endpointFailures, 1);
      assert.deepEqual(await webhooks.claimDue(clock.now(), LIMITS), []);
      await webhooks.rescheduleDelivery(c2, new Date(start + 15_000), "timeout");
      await webhooks.endpointFailed(failing.id, new Date(start + 15_000));
      clock.advance(9999);
      assert.deepEqual(await webhooks.claimDue(clock.now(), LIMITS), []);

      clock.advance(1);
      assert.deepEqual(idsOf(await webhooks.claimDue(clock.now(), LIMITS)), [c3]);
      await webhooks.deleteDelivery(c3);
      await webhooks.endpointRecovered(failing.id);
      // Healthy again: perEndpoint (2) at once.
      assert.deepEqual(idsOf(await webhooks.claimDue(clock.now(), LIMITS)), [c1]);
      const next = await webhooks.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(next), [c2]);
      assert.equal(next[0]?.endpointFailures, 0);
    },
  );

  test(
    "claimOne leases that delivery when it is due and free, whatever its endpoint's state",
    TIMEOUT,
    async () => {
      const { id, deliveries } = await endpointWith(store(), 3, AN_INSTANT);
      const [d1, d2, d3] = deliveries as [number, number, number];
      await store().endpointFailed(id, at(AN_INSTANT, DAY)); // backing off for a day
      assert.deepEqual(await store().claimDue(AN_INSTANT, LIMITS), []);
      const claimed = await store().claimOne(d2, AN_INSTANT, MINUTE);
      assert.equal(claimed?.id, d2);
      assert.equal(claimed?.attempts, 1);
      assert.equal(claimed?.endpointFailures, 1);
      assert.equal(await store().claimOne(d2, AN_INSTANT, MINUTE), null, "held");
      assert.equal(
        (await store().claimOne(d2, at(AN_INSTANT, MINUTE), MINUTE))?.attempts,
        2,
        "lease over",
      );
      await store().rescheduleDelivery(d1, at(AN_INSTANT, SECOND), "later");
      assert.equal(await store().claimOne(d1, AN_INSTANT, MINUTE), null, "not due");
      await store().failDelivery(d3, "given up");
      assert.equal(await store().claimOne(d3, AN_INSTANT, MINUTE), null, "failed");
      assert.equal(await store().claimOne(987_654, AN_INSTANT, MINUTE), null);
    },
  );

  test(
    "claimOne: of concurrent claims of one delivery, from two workers, one gets it",
    TIMEOUT,
    async () => {
      const { deliveries } = await endpointWith(store(), 1, AN_INSTANT);
      const [id] = deliveries as [number];
      const workers = [store(), openStore()];
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => workers[i % 2]?.claimOne(id, AN_INSTANT, MINUTE)),
      );
      assert.equal(claims.filter((claim) => claim).length, 1);
    },
  );

  test(
    "nextAttemptAt: the earliest pending delivery's time, its endpoint's backoff included; null when none",
    TIMEOUT,
    async () => {
      assert.equal(await store().nextAttemptAt(), null);
      const a = await endpointWith(store(), 0, AN_INSTANT);
      const b = await endpointWith(store(), 0, AN_INSTANT);
      const late = await store().enqueueForEndpoint(
        a.id,
        message("late"),
        at(AN_INSTANT, 3 * SECOND + 1),
      );
      const early = await store().enqueueForEndpoint(
        b.id,
        message("early"),
        at(AN_INSTANT, SECOND + 1),
      );
      assert.ok(late && early);
      const next = await store().nextAttemptAt();
      assert.ok(next instanceof Date);
      assert.equal(next.getTime(), at(AN_INSTANT, SECOND + 1).getTime());
      await store().endpointFailed(b.id, at(AN_INSTANT, 5 * SECOND + 7));
      assert.equal(
        (await store().nextAttemptAt())?.getTime(),
        at(AN_INSTANT, 3 * SECOND + 1).getTime(),
      );
      await store().failDelivery(late, "given up");
      assert.equal(
        (await store().nextAttemptAt())?.getTime(),
        at(AN_INSTANT, 5 * SECOND + 7).getTime(),
      );
      await store().deleteDelivery(early);
      assert.equal(await store().nextAttemptAt(), null, "failed deliveries are not pending");
    },
  );

  test(
    "rescheduleDelivery ends the lease; the delivery is due again at its time, not before",
    TIMEOUT,
    async () => {
      const { deliveries } = await endpointWith(store(), 1, AN_INSTANT);
      const [id] = deliveries as [number];
      assert.equal((await store().claimOne(id, AN_INSTANT, MINUTE))?.id, id);
      const retryAt = at(AN_INSTANT, 10 * SECOND);
      await store().rescheduleDelivery(id, retryAt, "HTTP 503");
      assert.equal((await store().nextAttemptAt())?.getTime(), retryAt.getTime());
      assert.deepEqual(await store().claimDue(at(retryAt, -1), LIMITS), []);
      const [again] = await store().claimDue(retryAt, LIMITS);
      assert.equal(again?.id, id, "sooner than the old lease's end");
      assert.equal(again?.attempts, 2);
    },
  );

  test(
    "failDelivery keeps it as failed, never claimed; deleteFailedBefore deletes failed ones created before",
    TIMEOUT,
    async () => {
      const { id } = await endpointWith(store(), 0, AN_INSTANT);
      const old = (await store().enqueueForEndpoint(id, message("old"), AN_INSTANT)) as number;
      const recent = (await store().enqueueForEndpoint(
        id,
        message("recent"),
        at(AN_INSTANT, DAY),
      )) as number;
      const pending = (await store().enqueueForEndpoint(
        id,
        message("pending"),
        AN_INSTANT,
      )) as number;
      await store().failDelivery(old, "given up");
      await store().failDelivery(recent, "given up");
      assert.deepEqual(idsOf(await store().claimDue(at(AN_INSTANT, 2 * DAY), LIMITS)), [pending]);
      await store().deleteDelivery(pending);
      assert.equal(await t.count("webhook_deliveries"), 2, "failed ones are kept");
      assert.equal(await store().deleteFailedBefore(at(AN_INSTANT, DAY)), 1);
      assert.equal(await store().deleteFailedBefore(at(AN_INSTANT, DAY)), 0);
      assert.equal(await store().deleteFailedBefore(at(AN_INSTANT, DAY + 1)), 1);
      assert.equal(await t.count("webhook_deliveries"), 0);
    },
  );

  test(
    "a failing endpoint's backlog is given up once older than the retry period",
    TIMEOUT,
    async () => {
      const clock = manualClock(AN_INSTANT.getTime());
      const webhooks = store();
      const old = await endpointWith(webhooks, 2, clock.now());
      clock.advance(1000);
      const recent = await endpointWith(webhooks, 0, clock.now());
      await webhooks.enqueueForEndpoint(old.id, message("msg_recent"), clock.now());
      const [held] = await webhooks.claimDue(clock.now(), LIMITS);
      const given = await webhooks.failStale(
        old.id,
        new Date(clock.now().getTime() - 500),
        clock.now(),
        "endpoint failing: timeout",
      );
      // The held one is left to its worker; the recent one and other endpoints are untouched.
      assert.equal(given, 1);
      assert.equal(held?.id, old.deliveries[0]);
      assert.equal(await webhooks.failStale(recent.id, clock.now(), clock.now(), "x"), 0);
      assert.equal(
        await webhooks.claimOne(old.deliveries[1] as number, clock.now(), MINUTE),
        null,
        "given up",
      );
    },
  );
});
