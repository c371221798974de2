import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { type AuthService, createAuth } from "../../../src/main/create-auth.js";
import { connect } from "../../../src/platform/db/connect.js";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { startTestServer } from "../../helpers/server.js";
import {
  freePort,
  type ReceivedWebhook,
  startWebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";

const SECRET_KEY = "4f".repeat(32);
const ALL_EVENTS = ["user.created", "user.deleted", "session.created", "password.changed"];
/** Short retries, so a receiver that comes back is reached within a second. */
const FAST_ENV = { SECRET_KEY, WEBHOOK_RETRY_BASE: "200ms", WEBHOOK_TIMEOUT: "5s" };
const PASSWORD = "b4l0u-first";

function verified(secret: string, hook: ReceivedWebhook) {
  return new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as {
    type: string;
    timestamp: string;
    data: { user: { id: number; email: string }; ip?: string };
  };
}

/** The tests of one database share it: each starts with no endpoint (and so no queued delivery). */
async function withoutEndpoints(service: AuthService): Promise<void> {
  for (const endpoint of await service.webhooks.list()) await service.webhooks.remove(endpoint.id);
}

/**
 * The metric once it reaches `expected` (or what it is after waiting): the
 * worker counts a delivery after the receiver has it and its row is deleted.
 */
async function settledMetric(url: string, outcome: string, expected: number): Promise<number> {
  await waitFor(
    async () => (await metricValue(url, outcome)) >= expected,
    `${outcome} >= ${expected}`,
    5000,
  ).catch(() => {});
  return metricValue(url, outcome);
}

async function metricValue(url: string, outcome: string): Promise<number> {
  const metrics = await request(url, "GET", "/metrics");
  const match = new RegExp(`auth_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
    metrics.text,
  );
  return Number(match?.[1] ?? 0);
}

for (const factory of await testDatabases()) {
  describe(`signed webhooks on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    before(async () => {
      if (!("skip" in factory)) database = await factory.create();
    });
    after(async () => {
      await database?.drop();
    });

    test("every event arrives signed (standardwebhooks verifies it), without secret material", {
      timeout: 60_000,
    }, async () => {
      const receiver = await startWebhookReceiver();
      const server = await startTestServer({ ...FAST_ENV, DATABASE_URL: database.url });
      try {
        await withoutEndpoints(server.service);
        const { secret, endpoint } = await server.service.webhooks.add(receiver.url, ALL_EVENTS);
        assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
        const email = `ada-${factory.name}@example.com`;
        const form = { email, password: PASSWORD };
        assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
        const login = await request(server.url, "POST", "/sessions", { form });
        assert.equal(login.status, 200);
        const token = sessionCookieOf(login) as string;
        const newPassword = "b4l0u-second";
        assert.equal(
          await server.service.auth.changePassword(token, PASSWORD, newPassword),
          "changed",
        );
        const resetToken = await server.service.auth.getResetPasswordToken(email);
        await server.service.auth.updatePassword(resetToken, "b4l0u-third");
        assert.equal(await server.service.auth.deleteUser(email), true);

        await waitFor(() => receiver.received.length >= 5, "five deliveries");
        const payloads = receiver.received.map((hook) => verified(secret, hook));
        assert.deepEqual(payloads.map((payload) => payload.type).sort(), [
          "password.changed",
          "password.changed",
          "session.created",
          "user.created",
          "user.deleted",
        ]);
        const user = payloads.find((payload) => payload.type === "user.created")?.data.user;
        assert.equal(user?.email, email);
        assert.ok(Number.isInteger(user?.id));
        const session = payloads.find((payload) => payload.type === "session.created");
        assert.equal(session?.data.ip, "127.0.0.1");
        for (const payload of payloads) {
          assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
          assert.deepEqual(Object.keys(payload).sort(), ["data", "timestamp", "type"]);
        }
        for (const hook of receiver.received) {
          assert.match(String(hook.headers["webhook-id"]), /^msg_/);
          assert.match(String(hook.headers["webhook-timestamp"]), /^\d+$/);
          assert.match(String(hook.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]+=*$/);
          assert.equal(hook.headers["content-type"], "application/json");
          for (const secretMaterial of [
            PASSWORD,
            newPassword,
            "b4l0u-third",
            token,
            resetToken,
            secret,
            secret.slice(6),
            "$2b$",
          ]) {
            assert.equal(hook.body.includes(secretMaterial), false, secretMaterial);
          }
          assert.doesNotMatch(hook.body, /password"|hash|token|session_?id/i);
        }
        // Another endpoint's secret does not verify these.
        const other = await server.service.webhooks.add(receiver.url, ["user.created"]);
        assert.throws(() => verified(other.secret, receiver.received[0] as ReceivedWebhook));
        assert.equal(await settledMetric(server.url, "delivered", 5), 5);
        assert.deepEqual(
          (await server.service.webhooks.list()).map((listed) => listed.id),
          [endpoint.id, other.endpoint.id],
        );
      } finally {
        await server.close();
        await receiver.close();
      }
    });

    test("a receiver answering 500, then 200: retried with one webhook-id until delivered", {
      timeout: 60_000,
    }, async () => {
      const receiver = await startWebhookReceiver({ status: 500 });
      const server = await startTestServer({ ...FAST_ENV, DATABASE_URL: database.url });
      try {
        await withoutEndpoints(server.service);
        const { secret } = await server.service.webhooks.add(receiver.url, ["user.created"]);
        await server.service.auth.registerUser(`retry-${factory.name}@example.com`, PASSWORD);
        await waitFor(() => receiver.received.length >= 2, "two failed attempts");
        receiver.answer(200);
        await waitFor(
          () => receiver.received.some((hook) => hook.status === 200),
          "a delivery after the receiver recovered",
        );
        const ids = new Set(receiver.received.map((hook) => hook.headers["webhook-id"]));
        assert.equal(ids.size, 1, "every attempt of one event carries the same webhook-id");
        for (const hook of receiver.received) verified(secret, hook);
        assert.ok((await metricValue(server.url, "retry")) >= 2);
        assert.equal(await settledMetric(server.url, "delivered", 1), 1);
      } finally {
        await server.close();
        await receiver.close();
      }
    });

    test("a receiver not listening, then listening: delivered", { timeout: 60_000 }, async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/hooks`;
      const server = await startTestServer({ ...FAST_ENV, DATABASE_URL: database.url });
      let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
      try {
        await withoutEndpoints(server.service);
        const { secret } = await server.service.webhooks.add(url, ["session.created"]);
        await server.service.auth.registerUser(`down-${factory.name}@example.com`, PASSWORD);
        assert.ok(await server.service.auth.login(`down-${factory.name}@example.com`, PASSWORD));
        await waitFor(
          async () => (await metricValue(server.url, "retry")) >= 1,
          "a failed attempt (connection refused)",
        );
        receiver = await startWebhookReceiver({ port });
        const up = receiver;
        await waitFor(() => up.received.length >= 1, "the delivery once the receiver listens");
        assert.equal(verified(secret, up.received[0] as ReceivedWebhook).type, "session.created");
      } finally {
        await server.close();
        await receiver?.close();
      }
    });

    test("the service restarted between the event and its delivery: delivered by the next one", {
      timeout: 60_000,
    }, async () => {
      const receiver = await startWebhookReceiver({ status: 503 });
      const env = { ...FAST_ENV, DATABASE_URL: database.url };
      let server = await startTestServer(env);
      try {
        await withoutEndpoints(server.service);
        const { secret } = await server.service.webhooks.add(receiver.url, ["user.created"]);
        await server.service.auth.registerUser(`restart-${factory.name}@example.com`, PASSWORD);
        await waitFor(() => receiver.received.length >= 1, "a failed attempt before the restart");
        await server.close();
        const firstId = receiver.received[0]?.headers["webhook-id"];
        receiver.answer(200);
        server = await startTestServer(env);
        await waitFor(
          () => receiver.received.some((hook) => hook.status === 200),
          "the delivery after the restart",
        );
        const delivered = receiver.received.find((hook) => hook.status === 200) as ReceivedWebhook;
        assert.equal(delivered.headers["webhook-id"], firstId);
        assert.equal(verified(secret, delivered).type, "user.created");
      } finally {
        await server.close();
        await receiver.close();
      }
    });

    test("two workers over one database: each event delivered exactly once", {
      timeout: 90_000,
    }, async (t) => {
      const receiver = await startWebhookReceiver({ delayMs: 20 });
      const counts = { a: 0, b: 0 };
      const open = (name: "a" | "b") =>
        createAuth({
          databaseUrl: database.url,
          bcryptCost: 4,
          secretKey: SECRET_KEY,
          webhooks: {
            retryBaseMs: 200,
            pollIntervalMs: 50,
            onDelivery: (outcome) => {
              if (outcome === "delivered") counts[name]++;
            },
          },
        });
      const a = await open("a");
      const b = await open("b");
      try {
        await withoutEndpoints(a);
        const { secret } = await a.webhooks.add(receiver.url, ["user.created"]);
        const total = 30;
        // Queued while no worker runs, so both start on the same backlog.
        for (let i = 0; i < total; i++) {
          await a.auth.createUser(`twin-${i}-${factory.name}@example.com`, PASSWORD);
        }
        await a.webhooks.flush();
        a.webhooks.worker.start();
        b.webhooks.worker.start();
        await waitFor(() => receiver.received.length >= total, `${total} deliveries`);
        // Long enough for a duplicate to show up: several polls of both workers.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const ids = receiver.received.map((hook) => String(hook.headers["webhook-id"]));
        assert.equal(new Set(ids).size, total);
        assert.equal(ids.length, total, "no event was delivered twice");
        assert.equal(counts.a + counts.b, total);
        t.diagnostic(`delivered by worker a: ${counts.a}, by worker b: ${counts.b}`);
        for (const hook of receiver.received) verified(secret, hook);
      } finally {
        await a.close();
        await b.close();
        await receiver.close();
      }
    });

    test("retried for the configured time, then marked failed and kept", {
      timeout: 60_000,
    }, async () => {
      const receiver = await startWebhookReceiver({ status: 500 });
      const outcomes: string[] = [];
      // The service's clock is the test's: the retry period passes when the
      // test says, however loaded the machine. The worker is drained by hand.
      const clock = manualClock(Date.now());
      const service = await createAuth({
        databaseUrl: database.url,
        bcryptCost: 4,
        secretKey: SECRET_KEY,
        now: clock.now,
        webhooks: {
          retryBaseMs: 100,
          retryForMs: 30_000,
          onDelivery: (outcome) => outcomes.push(outcome),
        },
      });
      const { db } = connect({ url: database.url });
      const { worker } = service.webhooks;
      /** One drain at the clock's time, and the outcome of the attempt it starts. */
      const attemptNow = async () => {
        const before = outcomes.length;
        await worker.drain();
        await waitFor(() => outcomes.length > before, "the attempt's outcome");
      };
      try {
        await withoutEndpoints(service);
        const { endpoint } = await service.webhooks.add(receiver.url, ["user.deleted"]);
        await service.auth.createUser(`doomed-${factory.name}@example.com`, PASSWORD);
        await service.auth.deleteUser(`doomed-${factory.name}@example.com`);
        await service.webhooks.flush();
        // Within the retry period: each attempt fails and is retried later.
        for (let i = 0; i < 4 && !outcomes.includes("failed"); i++) {
          await attemptNow();
          clock.advance(6_000); // past the delivery's and the endpoint's backoff
        }
        assert.deepEqual(outcomes, ["retry", "retry", "retry", "retry"]);
        // Past the retry period: the next look gives it up.
        clock.advance(60_000);
        await attemptNow();
        await waitFor(() => outcomes.includes("failed"), "the delivery given up");
        const rows = await db
          .selectFrom("webhook_deliveries")
          .select(["status", "attempts", "last_error", "event_type"])
          .where("endpoint_id", "=", endpoint.id)
          .execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.status, "failed");
        assert.equal(rows[0]?.last_error, "HTTP 500");
        const attempts = receiver.received.length;
        assert.ok(attempts >= 4, "retried first");
        clock.advance(3_600_000);
        await worker.drain();
        await worker.stop(); // waits for any attempt the drain started
        assert.equal(receiver.received.length, attempts, "no attempt after giving up");
      } finally {
        await db.destroy();
        await service.close();
        await receiver.close();
      }
    });
  });
}
