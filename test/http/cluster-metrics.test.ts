import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { AggregatorRegistry, Counter, Gauge, type Metric, Registry } from "prom-client";
import {
  collectWorkerMetrics,
  METRICS_COLLECT,
  METRICS_COLLECTED,
  type MetricsPeer,
} from "../../src/core/http/metrics.js";
import { RequestHistogram } from "../../src/platform/http/request-histogram.js";
import { referenceRequestHistogram } from "../helpers/reference-histogram.js";

/** A worker as the primary sees it: answers over a JSON channel, as cluster IPC does. */
function peer(registry: Registry, behaviour: "answer" | "silent" | "closed" = "answer") {
  const emitter = new EventEmitter();
  const asked: unknown[] = [];
  const fake: MetricsPeer = {
    send(message, done) {
      asked.push(message);
      if (behaviour === "closed") return done(new Error("channel closed"));
      done(null);
      if (behaviour === "silent") return;
      const { id } = message as { id: number };
      void registry.getMetricsAsJSON().then((metrics) => {
        const wire = JSON.parse(JSON.stringify({ type: METRICS_COLLECTED, id, metrics }));
        emitter.emit("message", wire);
      });
    },
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
  };
  return { fake, asked, listeners: () => emitter.listenerCount("message") };
}

function workerRegistry(requests: [string, string, number, number][]) {
  const registry = new Registry();
  const histogram = new RequestHistogram();
  registry.registerMetric(histogram as unknown as Metric);
  for (const [method, route, status, seconds] of requests) {
    histogram.observe(method, route, status, seconds);
  }
  new Counter({ name: "auth_logouts_total", help: "h", registers: [registry] }).inc(2);
  new Gauge({ name: "auth_db_pool_connections", help: "h", registers: [registry] }).set(1);
  return registry;
}

function value(text: string, metric: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

test("the primary sums the request histogram and counters of every worker", async () => {
  const one = peer(
    workerRegistry([
      ["GET", "/", 200, 0.0004],
      ["GET", "/", 200, 0.02],
      ["POST", "/sessions", 401, 0.3],
    ]),
  );
  const two = peer(
    workerRegistry([
      ["GET", "/", 200, 0.003],
      ["GET", "/profile", 403, 7],
    ]),
  );
  const text = await collectWorkerMetrics([one.fake, two.fake], 2_000);
  const get = 'http_request_duration_seconds_count{method="GET",route="/",status_code="200"}';
  assert.equal(value(text, get), 3);
  assert.equal(
    value(
      text,
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/",status_code="200"}',
    ),
    1,
  );
  assert.equal(
    value(
      text,
      'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/",status_code="200"}',
    ),
    2,
  );
  assert.equal(
    value(
      text,
      'http_request_duration_seconds_count{method="GET",route="/profile",status_code="403"}',
    ),
    1,
  );
  assert.equal(value(text, "auth_logouts_total"), 4);
  assert.equal(value(text, "auth_db_pool_connections"), 2, "gauges: prom-client's default, sum");
  assert.match(text, /# TYPE http_request_duration_seconds histogram/);
  assert.equal((one.asked[0] as { type: string }).type, METRICS_COLLECT);
  assert.equal(one.listeners() + two.listeners(), 0, "no listener left behind");
});

test("aggregated, the request histogram reads as prom-client's own Histogram aggregated", async () => {
  const per = [
    [
      ["GET", "/", 200, 0.0004],
      ["POST", "/sessions", 200, 7],
    ],
    [
      ["GET", "/", 200, 0.001],
      ["GET", "unmatched", 404, 0],
    ],
  ] as [string, string, number, number][][];
  const ours = await collectWorkerMetrics(
    per.map((requests) => {
      const registry = new Registry();
      const histogram = new RequestHistogram();
      registry.registerMetric(histogram as unknown as Metric);
      for (const [method, route, status, seconds] of requests) {
        histogram.observe(method, route, status, seconds);
      }
      return peer(registry).fake;
    }),
    2_000,
  );
  const theirs = await AggregatorRegistry.aggregate(
    await Promise.all(
      per.map((requests) => {
        const registry = new Registry();
        const histogram = referenceRequestHistogram(registry);
        for (const [method, route, status, seconds] of requests) {
          histogram.observe({ method, route, status_code: String(status) }, seconds);
        }
        return registry.getMetricsAsJSON();
      }),
    ),
  ).metrics();
  const sorted = (text: string) => text.split("\n").filter(Boolean).sort();
  assert.deepEqual(sorted(ours), sorted(theirs));
});

test("a worker that does not answer in time fails the scrape instead of hanging it", async () => {
  const live = peer(workerRegistry([["GET", "/", 200, 0.001]]));
  const stuck = peer(workerRegistry([]), "silent");
  const started = Date.now();
  await assert.rejects(collectWorkerMetrics([live.fake, stuck.fake], 300), /within 300 ms/);
  assert.ok(Date.now() - started < 5_000);
  assert.equal(stuck.listeners(), 0, "the silent worker's listener is removed");
  const closed = peer(workerRegistry([]), "closed");
  await assert.rejects(collectWorkerMetrics([live.fake, closed.fake], 2_000), /channel closed/);
  assert.equal(closed.listeners(), 0);
});

test("with no worker ready yet, the aggregate is empty", async () => {
  assert.equal((await collectWorkerMetrics([], 100)).trim(), "");
});
