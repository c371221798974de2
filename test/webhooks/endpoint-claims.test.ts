import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Kysely } from "kysely";
import { KyselyWebhookStore } from "../../src/capabilities/webhooks/kysely-store.js";
import type { ClaimLimits, WebhookDelivery } from "../../src/capabilities/webhooks/store.js";
import { createAuth } from "../../src/main/create-auth.js";
import { connect } from "../../src/platform/db/connect.js";
import type { Database } from "../../src/platform/db/schema.js";
import { manualClock } from "../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";

const LIMITS: ClaimLimits = { leaseMs: 60_000, limit: 10, perEndpoint: 2 };

for (const factory of await testDatabases()) {
  describe(`claiming webhook deliveries per endpoint, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    const connections: Kysely<Database>[] = [];
    /** A store over a connection of its own, as another process would have. */
    const openStore = () => {
      const { db } = connect({ url: database.url });
      connections.push(db);
      return new KyselyWebhookStore(db);
    };
    /** Each test starts with no endpoint and no delivery (the database is shared). */
    const emptyStore = async () => {
      const store = openStore();
      for (const endpoint of await store.listEndpoints()) await store.removeEndpoint(endpoint.id);
      return store;
    };
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      await (await createAuth({ databaseUrl: database.url })).close(); // migrates
    });
    after(async () => {
      for (const db of connections) await db.destroy();
      await database?.drop();
    });

    async function endpointWith(store: KyselyWebhookStore, deliveries: number, now: Date) {
      const { id } = await store.addEndpoint("https://hooks.example.test/in", ["a"], "sealed", now);
      const ids: number[] = [];
      for (let i = 0; i < deliveries; i++) {
        const message = { messageId: `msg_${id}_${i}`, type: "a", payload: "{}" };
        ids.push((await store.enqueueForEndpoint(id, message, now)) as number);
      }
      return { id, deliveries: ids };
    }
    const idsOf = (claimed: WebhookDelivery[]) => claimed.map((delivery) => delivery.id).sort();

    test("one delivery per endpoint per round, at most perEndpoint in flight over every worker", {
      timeout: 30_000,
    }, async () => {
      const clock = manualClock();
      const store = await emptyStore();
      const busy = await endpointWith(store, 5, clock.now());
      const quiet = await endpointWith(store, 1, clock.now());
      const first = await store.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(first), [busy.deliveries[0], quiet.deliveries[0]]);
      await store.deleteDelivery(quiet.deliveries[0] as number);
      assert.deepEqual(idsOf(await store.claimDue(clock.now(), LIMITS)), [busy.deliveries[1]]);
      // The busy endpoint has its two in flight: nothing more, for this worker or another.
      assert.deepEqual(await store.claimDue(clock.now(), LIMITS), []);
      assert.deepEqual(await openStore().claimDue(clock.now(), LIMITS), []);
      await store.deleteDelivery(busy.deliveries[0] as number);
      assert.deepEqual(idsOf(await openStore().claimDue(clock.now(), LIMITS)), [
        busy.deliveries[2],
      ]);
      // A lease that runs out (its worker died) frees the place.
      clock.advance(LIMITS.leaseMs);
      const retaken = [
        ...(await store.claimDue(clock.now(), LIMITS)),
        ...(await store.claimDue(clock.now(), LIMITS)),
      ];
      assert.equal(retaken.length, 2);
      assert.deepEqual(await store.claimDue(clock.now(), LIMITS), []);
      assert.ok(retaken.every((delivery) => delivery.endpointId === busy.id));
      assert.ok(retaken.every((delivery) => delivery.endpointFailures === 0));
    });

    test("a failing endpoint backs off by itself, then probes one delivery at a time, and recovers", {
      timeout: 30_000,
    }, async () => {
      const clock = manualClock();
      const store = await emptyStore();
      const failing = await endpointWith(store, 3, clock.now());
      const [c1, c2, c3] = failing.deliveries as [number, number, number];
      const healthy = await endpointWith(store, 0, clock.now());
      const start = clock.now().getTime();

      assert.deepEqual(idsOf(await store.claimDue(clock.now(), { ...LIMITS, perEndpoint: 1 })), [
        c1,
      ]);
      await store.rescheduleDelivery(c1, new Date(start + 5000), "HTTP 500");
      await store.endpointFailed(failing.id, new Date(start + 5000));
      // Its other deliveries are due, but the endpoint waits; another endpoint does not.
      const message = { messageId: "msg_healthy", type: "a", payload: "{}" };
      const other = await store.enqueueForEndpoint(healthy.id, message, clock.now());
      assert.deepEqual(idsOf(await store.claimDue(clock.now(), LIMITS)), [other]);
      await store.deleteDelivery(other as number);
      assert.equal((await store.nextAttemptAt())?.getTime(), start + 5000);

      clock.advance(5000);
      // The one that waited longest goes first, not the one that just failed; one at a time.
      const probe = await store.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(probe), [c2]);
      assert.equal(probe[0]?.endpointFailures, 1);
      assert.deepEqual(await store.claimDue(clock.now(), LIMITS), []);
      await store.rescheduleDelivery(c2, new Date(start + 15_000), "timeout");
      await store.endpointFailed(failing.id, new Date(start + 15_000));
      clock.advance(9999);
      assert.deepEqual(await store.claimDue(clock.now(), LIMITS), []);

      clock.advance(1);
      assert.deepEqual(idsOf(await store.claimDue(clock.now(), LIMITS)), [c3]);
      await store.deleteDelivery(c3);
      await store.endpointRecovered(failing.id);
      // Healthy again: perEndpoint (2) at once.
      assert.deepEqual(idsOf(await store.claimDue(clock.now(), LIMITS)), [c1]);
      const next = await store.claimDue(clock.now(), LIMITS);
      assert.deepEqual(idsOf(next), [c2]);
      assert.equal(next[0]?.endpointFailures, 0);
    });

    test("a failing endpoint's backlog is given up once older than the retry period", {
      timeout: 30_000,
    }, async () => {
      const clock = manualClock();
      const store = await emptyStore();
      const old = await endpointWith(store, 2, clock.now());
      clock.advance(1000);
      const recent = await endpointWith(store, 0, clock.now());
      const message = { messageId: "msg_recent", type: "a", payload: "{}" };
      await store.enqueueForEndpoint(old.id, message, clock.now());
      const [held] = await store.claimDue(clock.now(), LIMITS);
      const given = await store.failStale(
        old.id,
        new Date(clock.now().getTime() - 500),
        clock.now(),
        "endpoint failing: timeout",
      );
      // The held one is left to its worker; the recent one and other endpoints are untouched.
      assert.equal(given, 1);
      assert.equal(held?.id, old.deliveries[0]);
      assert.equal(await store.failStale(recent.id, clock.now(), clock.now(), "x"), 0);
    });
  });
}
