import { Histogram, type Registry } from "prom-client";

/**
 * prom-client's own Histogram with the service's request-histogram name,
 * labels and buckets, spelled out here on purpose: the service's hand-made
 * RequestHistogram is checked against it, alone and aggregated across workers.
 */
export function referenceRequestHistogram(registry: Registry): Histogram<string> {
  return new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}
