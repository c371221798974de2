import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from "prom-client";
import type { AuthEvent } from "../auth/events.js";
import type { PoolState } from "../db/pool-state.js";
import { sendError } from "./errors.js";
import { RequestHistogram } from "./request-histogram.js";

/**
 * Prometheus metrics of one process, in a registry of its own (several apps
 * in one test process must not share counters). The domain feeds it through
 * `record`, HTTP through `observeRequest`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new RequestHistogram();
  readonly #logins = new Counter({
    name: "auth_logins_total",
    help: "Login attempts by outcome: success, failure, throttled (429), busy (503)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly #registrations = new Counter({
    name: "auth_registrations_total",
    help: "Registrations by outcome: success, taken, throttled (429), busy (503)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly #resets = new Counter({
    name: "auth_password_resets_total",
    help: "Password resets by stage: requested, completed",
    labelNames: ["stage"],
    registers: [this.registry],
  });
  readonly #throttled = new Counter({
    name: "auth_throttled_requests_total",
    help: "Requests refused by a throttle (429): kind login, registration or reset",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  #poolState: (() => PoolState) | undefined;
  readonly #pool = new Gauge({
    name: "auth_db_pool_connections",
    help: "Database connections of this process: max, open, idle, and queries waiting for one",
    labelNames: ["state"],
    registers: [this.registry],
    collect: () => this.#collectPool(),
  });
  readonly #logouts = new Counter({
    name: "auth_logouts_total",
    help: "Sessions ended by logout",
    registers: [this.registry],
  });
  readonly #passwordChanges = new Counter({
    name: "auth_password_changes_total",
    help: "Passwords changed by their logged-in user",
    registers: [this.registry],
  });
  readonly #webhookDeliveries = new Counter({
    name: "auth_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered, retry (failed, will be retried), failed (given up)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly #hashes = new Histogram({
    name: "auth_password_hash_duration_seconds",
    help: "Time a password hash or verification ran (after waiting for a slot)",
    labelNames: ["operation"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
    registers: [this.registry],
  });

  constructor() {
    // Not one of prom-client's classes, but it answers the registry's get() the same way.
    this.registry.registerMetric(this.#requests as unknown as Metric);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The domain's listener (AuthEventListener). */
  readonly record = (event: AuthEvent): void => {
    switch (event.type) {
      case "login":
        this.#logins.inc({ outcome: event.outcome });
        if (event.outcome === "throttled") this.#throttled.inc({ kind: "login" });
        break;
      case "registration":
        this.#registrations.inc({ outcome: event.outcome });
        if (event.outcome === "throttled") this.#throttled.inc({ kind: "registration" });
        break;
      case "reset":
        if (event.stage === "requested" && event.outcome === "throttled") {
          this.#throttled.inc({ kind: "reset" });
        } else {
          this.#resets.inc({ stage: event.stage });
        }
        break;
      case "logout":
        this.#logouts.inc();
        break;
      case "password_changed":
        this.#passwordChanges.inc();
        break;
      case "hash":
        this.#hashes.observe({ operation: event.operation }, event.seconds);
        break;
    }
  };

  /** The webhook worker's callback: one call per delivery attempt. */
  readonly recordWebhookDelivery = (outcome: "delivered" | "retry" | "failed"): void => {
    this.#webhookDeliveries.inc({ outcome });
  };

  /** Where the pool gauge reads the database connections from, at each scrape. */
  watchPool(state: () => PoolState): void {
    this.#poolState = state;
  }

  #collectPool(): void {
    const state = this.#poolState?.();
    if (!state) return;
    this.#pool.set({ state: "max" }, state.size);
    this.#pool.set({ state: "open" }, state.open);
    this.#pool.set({ state: "idle" }, state.idle);
    this.#pool.set({ state: "waiting" }, state.waiting);
  }

  /**
   * Times one answer (the app's request log calls it for every answer). The
   * route pattern, never the raw URL: bounded label values, no tokens.
   */
  readonly observeRequest = (request: FastifyRequest, reply: FastifyReply): void => {
    this.#requests.observe(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  };

  /** GET /metrics, behind `Authorization: Bearer <token>` when a token is set. */
  install(app: FastifyInstance, token: string | undefined): void {
    app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
      if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
        reply.header("www-authenticate", 'Bearer realm="metrics"');
        return sendError(reply, 401, "not_authenticated", "metrics need the bearer token");
      }
      reply.header("content-type", this.registry.contentType);
      return this.registry.metrics();
    });
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
