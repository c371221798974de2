import assert from "node:assert/strict";
import { test } from "node:test";
import { type Metric, Registry } from "prom-client";
import { RequestHistogram } from "../../src/platform/http/request-histogram.js";
import { referenceRequestHistogram } from "../helpers/reference-histogram.js";

const observations: [string, string, number, number][] = [
  ["GET", "/profile", 200, 0.0004],
  ["GET", "/profile", 200, 0.001], // on a bound: counted in that bucket (le)
  ["GET", "/profile", 200, 0.0011],
  ["GET", "/profile", 403, 0.02],
  ["POST", "/sessions", 401, 0.3],
  ["POST", "/sessions", 200, 7], // above every bound: +Inf only
  ["GET", "unmatched", 404, 0],
];

test("the request histogram's exposition is prom-client's Histogram's, line for line", async () => {
  const ours = new Registry();
  const histogram = new RequestHistogram();
  ours.registerMetric(histogram as unknown as Metric);
  const reference = new Registry();
  const theirs = referenceRequestHistogram(reference);
  for (const [method, route, status, seconds] of observations) {
    histogram.observe(method, route, status, seconds);
    theirs.observe({ method, route, status_code: String(status) }, seconds);
  }
  const sorted = (text: string) => text.split("\n").sort();
  const exposition = await ours.metrics();
  assert.deepEqual(sorted(exposition), sorted(await reference.metrics()));
  assert.match(
    exposition,
    /http_request_duration_seconds_bucket\{le="0.001",method="GET",route="\/profile",status_code="200"\} 2\n/,
  );

  histogram.reset();
  assert.doesNotMatch(await ours.metrics(), /route=/);
});
