import { retryDelay } from "../db/leased-queue.js";
import type { WorkerLogger } from "../mail/outbox-worker.js";
import { signWebhook } from "./signature.js";
import type { WebhookDelivery, WebhookStore } from "./store.js";

export type DeliveryOutcome = "delivered" | "retry" | "failed";

export interface WebhookWorkerOptions {
  store: WebhookStore;
  /** The endpoint's signing secret from its sealed form (SecretBox.open). */
  openSecret(sealed: string): string;
  logger?: WorkerLogger;
  now?: () => Date;
  /** Told of each attempt's outcome (metrics). */
  onDelivery?: (outcome: DeliveryOutcome) => void;
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
}

/** What one attempt came to, as `webhook test` reports it. */
export interface AttemptReport {
  outcome: DeliveryOutcome;
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  /** Why the attempt failed. */
  error?: string;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };
/** Deliveries sent at once by one worker. */
const BATCH = 10;

/**
 * Sends queued webhooks, signed per Standard Webhooks, off the request path.
 * The queue is a database table claimed with leases (leased-queue.ts, as the
 * mail outbox): any number of processes can run a worker over one database
 * and a delivery is in one worker's hands at a time; one left by a crashed
 * process is taken up when its lease ends. An attempt fails on a non-2xx
 * answer, a network error or the timeout, and is retried after 5 s, 10 s,
 * 20 s ... (at most an hour apart) until a day has passed since the event;
 * then the delivery is kept as failed. Delivery is at least once: a worker
 * dying between the endpoint's 2xx and the row's deletion sends it again.
 */
export class WebhookWorker {
  readonly #store: WebhookStore;
  readonly #openSecret: (sealed: string) => string;
  readonly #logger: WorkerLogger;
  readonly #now: () => Date;
  readonly #onDelivery: (outcome: DeliveryOutcome) => void;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #retryForMs: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #failedRetentionMs: number;
  readonly #stopping = new AbortController();
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
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retryBaseMs = options.retryBaseMs ?? 5000;
    this.#retryMaxMs = options.retryMaxMs ?? 3_600_000;
    this.#retryForMs = options.retryForMs ?? 86_400_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 5000;
    // Longer than a batch can take (its deliveries run at once, each within the timeout).
    this.#leaseMs = options.leaseMs ?? 2 * this.#timeoutMs + 5000;
    this.#failedRetentionMs = options.failedRetentionMs ?? 7 * 86_400_000;
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
   * Stops polling and cuts the attempts in flight short (they count as failed
   * attempts and are retried, here or by another instance).
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#timer);
    if (this.#wake) clearTimeout(this.#wake.timer);
    await this.#draining;
  }

  /** Sends everything due now; concurrent calls share one pass (which then looks again). */
  drain(): Promise<void> {
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /**
   * One attempt at this delivery now (`webhook test`); null when it is not
   * due or another worker holds it.
   */
  async attempt(deliveryId: number): Promise<AttemptReport | null> {
    const [delivery] = await this.#store.claimDue(this.#now(), this.#leaseMs, 1, deliveryId);
    return delivery ? this.#deliver(delivery) : null;
  }

  /** Deletes failed deliveries past their retention; the server's hourly purge calls it. */
  purgeFailed(): Promise<number> {
    return this.#store.deleteFailedBefore(
      new Date(this.#now().getTime() - this.#failedRetentionMs),
    );
  }

  async #drainLoop(): Promise<void> {
    try {
      do {
        this.#again = false;
        const batch = await this.#store.claimDue(this.#now(), this.#leaseMs, BATCH);
        await Promise.all(batch.map((delivery) => this.#deliver(delivery)));
        if (batch.length > 0) this.#again = true;
      } while (this.#again && !this.#stopping.signal.aborted);
    } catch (error) {
      // The database is away: the next poll tries again.
      this.#logger.warn({ err: error }, "webhook queue could not be read");
    }
  }

  async #deliver(delivery: WebhookDelivery): Promise<AttemptReport> {
    let report: AttemptReport;
    try {
      report = await this.#send(delivery);
    } catch (error) {
      report = { outcome: "retry", error: describe(error) };
    }
    try {
      if (report.outcome === "delivered") {
        await this.#store.deleteDelivery(delivery.id);
        this.#logger.info(
          {
            webhookId: delivery.messageId,
            endpointId: delivery.endpointId,
            type: delivery.eventType,
          },
          "webhook delivered",
        );
      } else {
        report = await this.#afterFailure(delivery, report);
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
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "auth-service-webhooks",
        "webhook-id": delivery.messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, delivery.messageId, timestamp, delivery.payload),
      },
      body: delivery.payload,
      // A redirect is not a delivery: the receiver's URL is what the operator registered.
      redirect: "manual",
      signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#stopping.signal]),
    });
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) {
      return { outcome: "delivered", status: response.status };
    }
    return { outcome: "retry", status: response.status, error: `HTTP ${response.status}` };
  }

  async #afterFailure(delivery: WebhookDelivery, report: AttemptReport): Promise<AttemptReport> {
    const reason = report.error ?? "failed";
    const now = this.#now().getTime();
    const delay = retryDelay(delivery.attempts, this.#retryBaseMs, this.#retryMaxMs);
    const context = {
      webhookId: delivery.messageId,
      endpointId: delivery.endpointId,
      type: delivery.eventType,
      attempts: delivery.attempts,
      reason,
    };
    if (now + delay > delivery.createdAt.getTime() + this.#retryForMs) {
      await this.#store.failDelivery(delivery.id, reason);
      this.#logger.error(context, "webhook given up");
      return { ...report, outcome: "failed" };
    }
    await this.#store.rescheduleDelivery(delivery.id, new Date(now + delay), reason);
    this.#logger.warn(context, "webhook failed, will retry");
    this.#wakeIn(delay);
    return { ...report, outcome: "retry" };
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
    if (error.name === "TimeoutError") return "timeout";
    if (error.name === "AbortError") return "stopped";
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return cause.code;
    return cause?.message ?? error.message;
  }
  return String(error);
}
