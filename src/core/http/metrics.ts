import cluster from "node:cluster";
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from "prom-client";
import type { PoolState } from "../../platform/db/pool-state.js";
import { RequestHistogram } from "../../platform/http/request-histogram.js";
import type { AuthEvent } from "../events.js";
import { sendError } from "./errors.js";
import { OidcMetrics } from "./oidc-metrics.js";

/**
 * The IPC messages of `serve --workers N` metrics. A worker tells the primary
 * it is ready; a worker serving GET /metrics asks the primary, which collects
 * every ready worker's `getMetricsAsJSON()` and aggregates them with
 * prom-client's `AggregatorRegistry.aggregate`.
 */
export const METRICS_READY = "auth-service:metrics-ready";
export const METRICS_ASK = "auth-service:metrics-ask";
export const METRICS_ANSWER = "auth-service:metrics-answer";
export const METRICS_COLLECT = "auth-service:metrics-collect";
export const METRICS_COLLECTED = "auth-service:metrics-collected";

/** How long the primary waits for each worker's metrics before the scrape fails. */
export const WORKER_METRICS_TIMEOUT_MS = 3_000;
/** How long a worker waits for the primary's aggregate (the primary's own wait, and some). */
const PRIMARY_METRICS_TIMEOUT_MS = WORKER_METRICS_TIMEOUT_MS + 2_000;

/** Whether an IPC message is one of ours, of the given type. */
export function isMetricsMessage(
  message: unknown,
  type: string,
): message is { type: string; id: number; metrics?: unknown; error?: string } {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === type &&
    typeof (message as { id?: unknown }).id === "number"
  );
}

/** What the primary needs of a worker to collect its metrics (a cluster Worker, wrapped). */
export interface MetricsPeer {
  /** Sends over IPC; `done` hears a failed send (a channel closing). */
  send(message: object, done: (error: Error | null) => void): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
}

let collectId = 0;

/**
 * The primary's side: asks each worker for its metrics and returns the
 * aggregate exposition (histograms and counters summed, gauges per their
 * aggregator). Rejects when any worker errs or does not answer within
 * `timeoutMs`: a partial sum would make Prometheus see counters go down.
 */
export async function collectWorkerMetrics(
  peers: readonly MetricsPeer[],
  timeoutMs: number = WORKER_METRICS_TIMEOUT_MS,
): Promise<string> {
  const id = collectId++;
  const answers = await Promise.all(
    peers.map(
      (peer) =>
        new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => {
            peer.off("message", listen);
            reject(new Error(`a worker did not send its metrics within ${timeoutMs} ms`));
          }, timeoutMs);
          function listen(message: unknown): void {
            if (!isMetricsMessage(message, METRICS_COLLECTED) || message.id !== id) return;
            clearTimeout(timer);
            peer.off("message", listen);
            if (message.error !== undefined) reject(new Error(message.error));
            else resolve(message.metrics);
          }
          peer.on("message", listen);
          peer.send({ type: METRICS_COLLECT, id }, (error) => {
            if (!error) return;
            clearTimeout(timer);
            peer.off("message", listen);
            reject(error);
          });
        }),
    ),
  );
  return AggregatorRegistry.aggregate(
    answers as Parameters<typeof AggregatorRegistry.aggregate>[0],
  ).metrics();
}

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
    help: "Login attempts by outcome: success, failure, throttled (429), busy (503), unverified (403, EMAIL_VERIFICATION=required)",
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
    help: "Requests refused by a throttle (429): kind login, registration, reset or mfa",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  #poolState: (() => PoolState) | undefined;
  #inCluster = false;
  #askId = 0;
  /** Scrapes waiting for the primary's aggregate, by request id. */
  readonly #asked = new Map<number, (answer: { metrics?: unknown; error?: string }) => void>();
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
  readonly #secondSteps = new Counter({
    name: "auth_mfa_challenges_total",
    help: "Second steps of logins by outcome (required, success, failure, token_spent, invalid_token, throttled) and method (totp, recovery_code, none)",
    labelNames: ["outcome", "method"],
    registers: [this.registry],
  });
  readonly #secondFactorChanges = new Counter({
    name: "auth_mfa_changes_total",
    help: "Second factors enabled, disabled, recovery codes renewed, reset by an operator",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly #emailChanges = new Counter({
    name: "auth_email_events_total",
    help: "Addresses verified (verified), email changes asked for (change_requested) and done (change_completed)",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly #passkeys = new Counter({
    name: "auth_passkey_events_total",
    help: "Passkeys by action (added, renamed, removed, used, refused) and outcome (success; used: sign_in, second_factor; refused: its reason)",
    labelNames: ["action", "outcome"],
    registers: [this.registry],
  });
  readonly #socialLogins = new Counter({
    name: "auth_social_logins_total",
    help: "Sign-ins through another identity provider, by provider and outcome (signed_in, account_created, link_required, invalid_callback, no_verified_email, identity_taken)",
    labelNames: ["provider", "outcome"],
    registers: [this.registry],
  });
  readonly #oidc = new OidcMetrics(this.registry);
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
      case "mfa_challenge":
        this.#secondSteps.inc({ outcome: event.outcome, method: event.method ?? "none" });
        if (event.outcome === "throttled") this.#throttled.inc({ kind: "mfa" });
        break;
      case "second_factor":
        this.#secondFactorChanges.inc({ action: event.action });
        break;
      case "email_verified":
        this.#emailChanges.inc({ kind: "verified" });
        break;
      case "email_change":
        this.#emailChanges.inc({ kind: `change_${event.stage}` });
        break;
      case "passkey":
        this.#passkeys.inc({ action: event.action, outcome: event.outcome ?? "success" });
        break;
      case "social_login":
        this.#socialLogins.inc({ provider: event.provider, outcome: event.outcome });
        break;
      case "hash":
        this.#hashes.observe({ operation: event.operation }, event.seconds);
        break;
      default:
        this.#oidc.record(event);
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

  /**
   * Makes this process one worker of `serve --workers N`: it answers the
   * primary's requests for its metrics, and GET /metrics answers with the
   * aggregate of every worker, which it asks the primary for. Scrapes only:
   * nothing per request crosses the IPC channel.
   */
  joinCluster(): void {
    if (!cluster.isWorker || this.#inCluster) return;
    this.#inCluster = true;
    process.on("message", (message: unknown) => {
      if (isMetricsMessage(message, METRICS_ANSWER)) this.#asked.get(message.id)?.(message);
      if (!isMetricsMessage(message, METRICS_COLLECT)) return;
      const id = message.id;
      this.registry.getMetricsAsJSON().then(
        (metrics) => sendToPrimary({ type: METRICS_COLLECTED, id, metrics }),
        (error: unknown) =>
          sendToPrimary({
            type: METRICS_COLLECTED,
            id,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    });
    sendToPrimary({ type: METRICS_READY, id: 0 });
  }

  /** The cluster's aggregate, through the primary. */
  #askPrimary(): Promise<string> {
    const id = this.#askId++;
    return new Promise<string>((resolve, reject) => {
      const settle = (answer: { metrics?: unknown; error?: string }): void => {
        clearTimeout(timer);
        this.#asked.delete(id);
        if (typeof answer.metrics === "string") resolve(answer.metrics);
        else reject(new Error(answer.error ?? "no metrics"));
      };
      const timer = setTimeout(
        () => settle({ error: "the primary did not answer in time" }),
        PRIMARY_METRICS_TIMEOUT_MS,
      );
      this.#asked.set(id, settle);
      sendToPrimary({ type: METRICS_ASK, id }, (error) => {
        if (error) settle({ error: error.message });
      });
    });
  }

  /** GET /metrics, behind `Authorization: Bearer <token>` when a token is set. */
  install(app: FastifyInstance, token: string | undefined): void {
    app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
      if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
        reply.header("www-authenticate", 'Bearer realm="metrics"');
        return sendError(reply, 401, "not_authenticated", "metrics need the bearer token");
      }
      if (this.#inCluster) {
        try {
          const text = await this.#askPrimary();
          reply.header("content-type", this.registry.contentType);
          return text;
        } catch (error) {
          request.log.warn({ err: error }, "cluster metrics unavailable");
          reply.header("retry-after", "1");
          return sendError(
            reply,
            503,
            "unavailable",
            "the workers' metrics could not be collected",
          );
        }
      }
      reply.header("content-type", this.registry.contentType);
      return this.registry.metrics();
    });
  }
}

/**
 * process.send with a callback: without one, a closed channel (a worker
 * shutting down) is an 'error' event on process, which would end it.
 */
function sendToPrimary(message: object, done: (error: Error | null) => void = () => {}): void {
  if (!process.send) {
    done(new Error("no IPC channel to the primary"));
    return;
  }
  try {
    process.send(message, undefined, undefined, done);
  } catch (error) {
    done(error instanceof Error ? error : new Error(String(error)));
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
