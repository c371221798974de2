import { retryDelay } from "../../platform/db/leased-queue.js";
import type { WorkerLogger } from "../../platform/mail/outbox-worker.js";
import {
  checkedLookup,
  type HostResolver,
  RefusedTargetError,
  systemResolver,
} from "../../platform/net/checked-lookup.js";
import { OutboundTargetPolicy } from "../../platform/net/target-policy.js";
import { WEBHOOK_ALLOWED_HOSTS } from "./endpoint-url.js";
import { signWebhook } from "./signature.js";
import type { WebhookDelivery, WebhookStore } from "./store.js";
import { WebhookRequests } from "./webhook-request.js";

export type DeliveryOutcome = "delivered" | "retry" | "failed";

export interface WebhookWorkerOptions {
  store: WebhookStore;
  /** The endpoint's signing secret from its sealed form (SecretBox.open). */
  openSecret(sealed: string): string;
  logger?: WorkerLogger;
  now?: () => Date;
  /** Told of each attempt's outcome (metrics). */
  onDelivery?: (outcome: DeliveryOutcome) => void;
  /** Where deliveries may connect (default: anywhere but internal addresses, loopback aside). */
  targets?: OutboundTargetPolicy;
  /** Resolves endpoints' host names (default: the system's resolver); tests stand in for DNS. */
  resolve?: HostResolver;
  /** Longest wait for an endpoint's answer, per attempt (default 10 s). */
  timeoutMs?: number;
  /** First retry delay; it doubles with each failure up to retryMaxMs (default 5 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long after the event attempts go on before the delivery is marked failed (default a day). */
  retryForMs?: number;
  /** How often due deliveries are looked for, besides each new event's nudge (default 5 s). */
  pollIntervalMs?: number;
  /** How long a claimed delivery is held before another worker may take it over. */
  leaseMs?: number;
  /** How long failed deliveries stay in the table for operators (default 7 days). */
  failedRetentionMs?: number;
  /** Deliveries this worker has in flight at once, over all endpoints (default 64). */
  maxInFlight?: number;
  /** Deliveries of one healthy endpoint in flight at once, over all workers (default 4). */
  perEndpoint?: number;
}

/** What one attempt came to, for the log and the row (`webhook test` says only delivered or not). */
export interface AttemptReport {
  outcome: DeliveryOutcome;
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  /** Why the attempt failed. */
  error?: string;
  /** The policy refused the endpoint's address: not retried. */
  refused?: boolean;
}

/** How a failed attempt ended, besides its report. */
type FailureCause = "endpoint" | "refused" | "stopped";

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/**
 * Sends queued webhooks, signed per Standard Webhooks, off the request path.
 * The queue is a database table claimed with leases (as the mail outbox): any
 * number of processes can run a worker over one database and a delivery is
 * in one worker's hands at a time; one left by a crashed process is taken up
 * when its lease ends. Delivery is at least once: a worker dying between the
 * endpoint's 2xx and the row's deletion sends it again.
 *
 * Endpoints do not wait for each other. Each delivery runs on its own (no
 * batch waits for its slowest member), each endpoint has at most
 * `perEndpoint` deliveries in flight over all workers, and a failing one
 * backs off by itself: after a failed attempt (a non-2xx answer, a network
 * error, the timeout) none of its deliveries is tried for 5 s, 10 s, 20 s ...
 * (at most an hour), then one at a time until one goes through. The failed
 * delivery itself is retried on the same schedule until a day has passed
 * since the event; then it is kept as failed.
 */
export class WebhookWorker {
  readonly #store: WebhookStore;
  readonly #openSecret: (sealed: string) => string;
  readonly #logger: WorkerLogger;
  readonly #now: () => Date;
  readonly #onDelivery: (outcome: DeliveryOutcome) => void;
  readonly #requests: WebhookRequests;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #retryForMs: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #failedRetentionMs: number;
  readonly #maxInFlight: number;
  readonly #perEndpoint: number;
  readonly #stopping = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: { timer: NodeJS.Timeout; at: number } | undefined;
  #draining: Promise<void> | undefined;
  #again = false;

  constructor(options: WebhookWorkerOptions) {
    this.#store = options.store;
    this.#openSecret = options.openSecret;
    this.#logger = options.logger ?? silent;
    this.#now = options.now ?? (() => new Date());
    this.#onDelivery = options.onDelivery ?? (() => {});
    const targets =
      options.targets ??
      new OutboundTargetPolicy({ mode: "production", setting: WEBHOOK_ALLOWED_HOSTS });
    this.#requests = new WebhookRequests(
      targets,
      checkedLookup(options.resolve ?? systemResolver, targets),
    );
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retryBaseMs = options.retryBaseMs ?? 5000;
    this.#retryMaxMs = options.retryMaxMs ?? 3_600_000;
    this.#retryForMs = options.retryForMs ?? 86_400_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 5000;
    // Longer than an attempt can take (the timeout), with room for the row's update.
    this.#leaseMs = options.leaseMs ?? 2 * this.#timeoutMs + 5000;
    this.#failedRetentionMs = options.failedRetentionMs ?? 7 * 86_400_000;
    this.#maxInFlight = options.maxInFlight ?? 64;
    this.#perEndpoint = options.perEndpoint ?? 4;
  }

  get started(): boolean {
    return this.#started;
  }

  start(): void {
    if (this.#started || this.#stopping.signal.aborted) return;
    this.#started = true;
    this.#timer = setInterval(() => void this.drain(), this.#pollIntervalMs);
    this.#timer.unref();
    void this.drain();
    // Retries left by a previous run fall due at their time, not at the next poll after it.
    this.#store.nextAttemptAt().then(
      (next) => {
        if (next) this.#wakeIn(Math.max(0, next.getTime() - this.#now().getTime()));
      },
      () => {}, // the database is away: the polls find the rows
    );
  }

  /** Wakes a started worker (a new event was queued); a stopped or never started one ignores it. */
  nudge(): void {
    if (this.#started && !this.#stopping.signal.aborted) setImmediate(() => void this.drain());
  }

  /**
   * Stops polling and cuts the attempts in flight short: they are released at
   * once, to be sent again by another instance or the next start.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#timer);
    if (this.#wake) clearTimeout(this.#wake.timer);
    await this.#draining;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    this.#requests.close();
  }

  /**
   * Starts every delivery that is due now and has room; resolves once they
   * are started (not sent). Concurrent calls share one pass, which then looks again.
   */
  drain(): Promise<void> {
    this.#again = true;
    this.#draining ??= this.#claimLoop().finally(() => {
      this.#draining = undefined;
      // Asked again after the loop's last look (a delivery finished in between).
      if (this.#again && !this.#stopping.signal.aborted) void this.drain();
    });
    return this.#draining;
  }

  /**
   * One attempt at this delivery now (`webhook test`), whatever its
   * endpoint's backoff; null when it is not due or another worker holds it.
   */
  async attempt(deliveryId: number): Promise<AttemptReport | null> {
    const delivery = await this.#store.claimOne(deliveryId, this.#now(), this.#leaseMs);
    return delivery ? this.#deliver(delivery) : null;
  }

  /** Deletes failed deliveries past their retention; the server's hourly purge calls it. */
  purgeFailed(): Promise<number> {
    return this.#store.deleteFailedBefore(
      new Date(this.#now().getTime() - this.#failedRetentionMs),
    );
  }

  async #claimLoop(): Promise<void> {
    try {
      while (this.#again && !this.#stopping.signal.aborted) {
        this.#again = false;
        const room = this.#maxInFlight - this.#inFlight.size;
        if (room <= 0) return; // a finishing delivery drains again
        const claimed = await this.#store.claimDue(this.#now(), {
          leaseMs: this.#leaseMs,
          limit: room,
          perEndpoint: this.#perEndpoint,
        });
        for (const delivery of claimed) this.#launch(delivery);
        // One per endpoint per round: the next round may find more room.
        if (claimed.length > 0) this.#again = true;
      }
    } catch (error) {
      // The database is away: the next poll tries again.
      this.#logger.warn({ err: error }, "webhook queue could not be read");
    }
  }

  /** Sends without waiting: a slow endpoint holds its own places, nobody else's. */
  #launch(delivery: WebhookDelivery): void {
    const running: Promise<void> = this.#deliver(delivery).then(
      () => {
        this.#inFlight.delete(running);
        if (!this.#stopping.signal.aborted) void this.drain();
      },
      () => {
        this.#inFlight.delete(running); // #deliver catches its errors: not reached
      },
    );
    this.#inFlight.add(running);
  }

  async #deliver(delivery: WebhookDelivery): Promise<AttemptReport> {
    let report: AttemptReport;
    try {
      report = await this.#send(delivery);
    } catch (error) {
      report =
        error instanceof RefusedTargetError
          ? { outcome: "failed", error: error.message, refused: true }
          : { outcome: "retry", error: describe(error) };
    }
    // Cut short by stop(): not the endpoint's failure, so no backoff either.
    const cause: FailureCause = report.refused
      ? "refused"
      : this.#stopping.signal.aborted && report.outcome !== "delivered"
        ? "stopped"
        : "endpoint";
    try {
      if (report.outcome === "delivered") {
        await this.#store.deleteDelivery(delivery.id);
        // Only when it was failing at the claim: a write per delivery of a healthy endpoint saved.
        if (delivery.endpointFailures > 0) await this.#store.endpointRecovered(delivery.endpointId);
        this.#logger.info(
          {
            webhookId: delivery.messageId,
            endpointId: delivery.endpointId,
            type: delivery.eventType,
          },
          "webhook delivered",
        );
      } else {
        report = await this.#afterFailure(delivery, report, cause);
      }
    } catch (error) {
      // The lease runs out and the delivery is attempted again.
      this.#logger.warn({ err: error, webhookId: delivery.messageId }, "webhook row not updated");
    }
    this.#onDelivery(report.outcome);
    return report;
  }

  async #send(delivery: WebhookDelivery): Promise<AttemptReport> {
    const secret = this.#openSecret(delivery.secretSealed);
    const timestamp = Math.floor(this.#now().getTime() / 1000);
    const status = await this.#requests.post(
      delivery.url,
      {
        "content-type": "application/json",
        "user-agent": "auth-service-webhooks",
        "webhook-id": delivery.messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, delivery.messageId, timestamp, delivery.payload),
      },
      delivery.payload,
      AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#stopping.signal]),
    );
    if (status >= 200 && status < 300) return { outcome: "delivered", status };
    return { outcome: "retry", status, error: `HTTP ${status}` };
  }

  /** The endpoint backs off; the delivery is retried later, or given up. */
  async #afterFailure(
    delivery: WebhookDelivery,
    report: AttemptReport,
    cause: FailureCause,
  ): Promise<AttemptReport> {
    const reason = report.error ?? "failed";
    const now = this.#now().getTime();
    if (cause === "stopped") {
      await this.#store.rescheduleDelivery(delivery.id, new Date(now), reason);
      return { ...report, outcome: "retry" };
    }
    const endpointDelay = retryDelay(
      delivery.endpointFailures + 1,
      this.#retryBaseMs,
      this.#retryMaxMs,
    );
    await this.#store.endpointFailed(delivery.endpointId, new Date(now + endpointDelay));
    await this.#giveUpStale(delivery.endpointId, now, reason);
    const delay = retryDelay(delivery.attempts, this.#retryBaseMs, this.#retryMaxMs);
    const context = {
      webhookId: delivery.messageId,
      endpointId: delivery.endpointId,
      type: delivery.eventType,
      attempts: delivery.attempts,
      reason,
    };
    if (cause === "refused" || now + delay > delivery.createdAt.getTime() + this.#retryForMs) {
      await this.#store.failDelivery(delivery.id, reason);
      this.#logger.error(context, cause === "refused" ? "webhook refused" : "webhook given up");
      this.#wakeIn(endpointDelay);
      return { ...report, outcome: "failed" };
    }
    await this.#store.rescheduleDelivery(delivery.id, new Date(now + delay), reason);
    this.#logger.warn(context, "webhook failed, will retry");
    // Once the rows are written: woken earlier, the drain would find this one still leased.
    this.#wakeIn(endpointDelay);
    return { ...report, outcome: "retry" };
  }

  /** A failing endpoint's backlog waits for it no longer than the retry period. */
  async #giveUpStale(endpointId: number, now: number, reason: string): Promise<void> {
    const given = await this.#store.failStale(
      endpointId,
      new Date(now - this.#retryForMs),
      new Date(now),
      `endpoint failing: ${reason}`,
    );
    if (given > 0)
      this.#logger.error({ endpointId, deliveries: given, reason }, "webhooks given up unsent");
  }

  /** Drains again when a retry falls due, rather than at the next poll after it. */
  #wakeIn(delay: number): void {
    if (!this.#started || this.#stopping.signal.aborted) return;
    const at = Date.now() + delay;
    if (this.#wake && this.#wake.at <= at) return;
    if (this.#wake) clearTimeout(this.#wake.timer);
    const timer = setTimeout(() => {
      this.#wake = undefined;
      void this.drain();
    }, delay + 10); // a timer may fire a millisecond early: the row would not be due yet
    timer.unref();
    this.#wake = { timer, at };
  }
}

/** A short reason for the log and the row: "timeout", "ECONNREFUSED", "HTTP 500" ... */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { name?: string; code?: string; message?: string } }).cause;
    if (error.name === "TimeoutError" || cause?.name === "TimeoutError") return "timeout";
    if (error.name === "AbortError") return "stopped";
    const code = (error as { code?: string }).code ?? cause?.code;
    if (code) return code;
    return cause?.message ?? error.message;
  }
  return String(error);
}
