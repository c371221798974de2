import assert from "node:assert/strict";
import { after, before, describe, type TestContext, test } from "node:test";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  startHangingReceiver,
  startWebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";

const SECRET_KEY = "4f".repeat(32);
const EVENTS = 6;
/** What "promptly" means here: far below the 10 s an attempt may wait for its answer. */
const PROMPT_MS = 2000;

for (const factory of await testDatabases()) {
  describe(`webhook endpoints stay independent, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    before(async () => {
      if (!("skip" in factory)) database = await factory.create();
    });
    after(async () => {
      await database?.drop();
    });

    /**
     * Two hanging endpoints (added first, so their deliveries are the oldest)
     * and a healthy one; six registrations, spread over `servers`. Returns the
     * hanging receivers' request counts once the healthy one has every event,
     * each within PROMPT_MS of its registration.
     */
    async function sixEventsBesideTwoHanging(
      t: TestContext,
      servers: readonly TestServer[],
      label: string,
    ): Promise<number[]> {
      const hanging = [await startHangingReceiver(), await startHangingReceiver()];
      const healthy = await startWebhookReceiver();
      const [first] = servers as [TestServer];
      try {
        for (const endpoint of await first.service.webhooks.list())
          await first.service.webhooks.remove(endpoint.id);
        for (const receiver of [...hanging, healthy])
          await first.service.webhooks.add(receiver.url, ["user.created"]);
        const sentAt = new Map<string, number>();
        for (let i = 0; i < EVENTS; i++) {
          const email = `${label}-${i}-${factory.name}@example.com`;
          const server = servers[i % servers.length] as TestServer;
          sentAt.set(email, Date.now());
          const form = { email, password: "b4l0u-first" };
          assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
        }
        await waitFor(
          () => healthy.received.length >= EVENTS,
          `${EVENTS} deliveries to the healthy endpoint`,
          PROMPT_MS + 1000,
        );
        const delays = healthy.received.map((hook) => {
          const { data } = JSON.parse(hook.body) as { data: { user: { email: string } } };
          return hook.receivedAt - (sentAt.get(data.user.email) ?? Number.NaN);
        });
        t.diagnostic(`healthy endpoint: each event after ${delays.join(", ")} ms`);
        for (const delay of delays) assert.ok(delay < PROMPT_MS, `an event after ${delay} ms`);
        await waitFor(
          () => hanging.every((receiver) => receiver.requests >= 1),
          "an attempt at each hanging endpoint",
          PROMPT_MS,
        );
        const counts = hanging.map((receiver) => receiver.requests);
        t.diagnostic(`requests held open by the hanging endpoints: ${counts.join(", ")}`);
        return counts;
      } finally {
        // Stopping cuts the hanging attempts short; they stay queued.
        for (const server of servers) await server.close();
        for (const receiver of [...hanging, healthy]) await receiver.close();
      }
    }

    test("the healthy endpoint gets every event within two seconds; the hanging ones are still tried", {
      timeout: 30_000,
    }, async (t) => {
      // The penetration test's setting: each attempt waits up to 10 s for an answer.
      const env = { SECRET_KEY, WEBHOOK_TIMEOUT: "10s", DATABASE_URL: database.url };
      const counts = await sixEventsBesideTwoHanging(t, [await startTestServer(env)], "slow");
      // Nothing answers within the test, so each request is still in flight: 4 per endpoint at most.
      for (const count of counts) assert.ok(count <= 4, `${count} requests in flight`);
    });

    test("two instances over one database: still independent, the endpoint's limit shared", {
      timeout: 30_000,
    }, async (t) => {
      const env = { SECRET_KEY, WEBHOOK_TIMEOUT: "10s", DATABASE_URL: database.url };
      const servers = [await startTestServer(env), await startTestServer(env)];
      const counts = await sixEventsBesideTwoHanging(t, servers, "twin");
      // Exact on SQLite, whose writes take turns; on PostgreSQL two claims in
      // the same instant may both take the last place (webhook-claims.ts).
      if (factory.name === "sqlite")
        for (const count of counts) assert.ok(count <= 4, `${count} requests in flight`);
    });

    test("an endpoint answering 500 backs off by itself: not one attempt per event, and the healthy one is not held", {
      timeout: 30_000,
    }, async (t) => {
      const failing = await startWebhookReceiver({ status: 500 });
      const healthy = await startWebhookReceiver();
      // The default backoff: after a failure, nothing goes to that endpoint for 5 s.
      const server = await startTestServer({ SECRET_KEY, DATABASE_URL: database.url });
      try {
        for (const endpoint of await server.service.webhooks.list())
          await server.service.webhooks.remove(endpoint.id);
        for (const receiver of [failing, healthy])
          await server.service.webhooks.add(receiver.url, ["user.created"]);
        const events = 8;
        for (let i = 0; i < events; i++) {
          const form = {
            email: `failing-${i}-${factory.name}@example.com`,
            password: "b4l0u-first",
          };
          assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
        }
        await waitFor(
          () => healthy.received.length >= events,
          `${events} deliveries to the healthy endpoint`,
          PROMPT_MS,
        );
        // Longer than an attempt takes here, shorter than the backoff.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        t.diagnostic(
          `attempts at the failing endpoint: ${failing.received.length} for ${events} events`,
        );
        assert.ok(failing.received.length >= 1);
        // At most the places a healthy endpoint has (4), taken before the first failure came back.
        assert.ok(failing.received.length <= 4, `${failing.received.length} attempts`);
      } finally {
        await server.close();
        for (const receiver of [failing, healthy]) await receiver.close();
      }
    });
  });
}
