import type { AuthEvent } from "../../core/events.js";
import type { EventRecorder, Transaction } from "../../core/unit-of-work.js";
import type { SecretBox } from "../../platform/crypto/secret-box.js";
import type { WorkerLogger } from "../../platform/mail/outbox-worker.js";
import { type HostResolver, systemResolver } from "../../platform/net/checked-lookup.js";
import { OutboundTargetPolicy } from "../../platform/net/target-policy.js";
import {
  assertAllowedEndpoint,
  InvalidWebhookError,
  parseEndpointUrl,
  WEBHOOK_ALLOWED_HOSTS,
} from "./endpoint-url.js";
import {
  isWebhookEventType,
  TEST_EVENT_TYPE,
  toWebhookPayload,
  WEBHOOK_EVENT_TYPES,
} from "./events.js";
import { generateWebhookSecret, newMessageId } from "./signature.js";
import type { QueuedMessage, WebhookEndpoint, WebhookStore } from "./store.js";
import { type DeliveryOutcome, WebhookWorker, type WebhookWorkerOptions } from "./worker.js";

/** Bound as associated data: a value sealed for webhooks opens as nothing else. */
const SECRET_CONTEXT = "webhook-signing-secret";

export { InvalidWebhookError };

export interface WebhooksOptions
  extends Omit<WebhookWorkerOptions, "store" | "openSecret" | "logger" | "now" | "targets"> {
  /**
   * Host names, IP addresses and CIDR ranges that endpoints may reach although
   * internal (WEBHOOK_ALLOWED_HOSTS); see target-policy.ts.
   */
  allowedHosts?: readonly string[];
}

/**
 * What `webhook test` queued, and whether its immediate attempt went through.
 * No status and no error: an answer that told what the address holds would
 * make `webhook test` a port scanner. The reason is logged and kept in the
 * delivery's row.
 */
export interface WebhookTestReport {
  messageId: string;
  /** Null when another worker took the delivery first (it is then sent by that one). */
  attempt: { outcome: DeliveryOutcome } | null;
}

/**
 * Signed webhooks: endpoints (add, list, remove, test), and the listener that
 * turns the domain's events into queued deliveries. It hears events (the
 * `onEvent` fan-out) and is never called by Auth. Each event is written to
 * the queue with one INSERT ... SELECT started in the very call that reports
 * it, before Auth returns to its caller; see `record`.
 */
export class Webhooks implements EventRecorder {
  readonly worker: WebhookWorker;
  readonly #store: WebhookStore;
  readonly #secretBox: () => SecretBox;
  readonly #logger: WorkerLogger | undefined;
  readonly #now: () => Date;
  readonly #targets: OutboundTargetPolicy;
  readonly #resolve: HostResolver;
  readonly #pending = new Set<Promise<void>>();

  constructor(dependencies: {
    store: WebhookStore;
    /** Resolved at first use: only a service that signs or seals needs SECRET_KEY. */
    secretBox: () => SecretBox;
    /** Production refuses internal targets; development allows loopback besides. */
    mode: "development" | "production";
    logger?: WorkerLogger;
    now?: () => Date;
    options?: WebhooksOptions;
  }) {
    const { allowedHosts, ...workerOptions } = dependencies.options ?? {};
    this.#store = dependencies.store;
    this.#secretBox = dependencies.secretBox;
    this.#logger = dependencies.logger;
    this.#now = dependencies.now ?? (() => new Date());
    this.#targets = new OutboundTargetPolicy({
      mode: dependencies.mode,
      allowedHosts,
      setting: WEBHOOK_ALLOWED_HOSTS,
    });
    this.#resolve = workerOptions.resolve ?? systemResolver;
    this.worker = new WebhookWorker({
      ...workerOptions,
      targets: this.#targets,
      store: this.#store,
      openSecret: (sealed) => this.#secretBox().open(sealed, SECRET_CONTEXT).toString("utf8"),
      logger: dependencies.logger,
      now: this.#now,
    });
  }

  /**
   * Registers an endpoint for these event types and returns its signing
   * secret (whsec_...), the only time it is shown; it is stored sealed.
   * @throws InvalidWebhookError for a URL other than http(s), one whose host
   *   is or resolves to an internal address the policy refuses, or an unknown event type.
   */
  async add(
    url: string,
    events: readonly string[],
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const parsed = parseEndpointUrl(url);
    if (events.length === 0)
      throw new InvalidWebhookError("a webhook needs at least one event type");
    for (const type of events) {
      if (!isWebhookEventType(type))
        throw new InvalidWebhookError(
          `unknown event type "${type}" (one of ${WEBHOOK_EVENT_TYPES.join(", ")})`,
        );
    }
    const secret = generateWebhookSecret();
    const sealed = this.#secretBox().seal(secret, SECRET_CONTEXT);
    // Last, as it may wait for DNS: a missing SECRET_KEY or a bad event type is told at once.
    await assertAllowedEndpoint(parsed, this.#targets, this.#resolve);
    const endpoint = await this.#store.addEndpoint(
      parsed.toString(),
      [...new Set(events)],
      sealed,
      this.#now(),
    );
    return { endpoint, secret };
  }

  /** Every endpoint (id, URL, events, created); never a secret. */
  list(): Promise<WebhookEndpoint[]> {
    return this.#store.listEndpoints();
  }

  /** False when no endpoint has this id; its queued deliveries are dropped. */
  remove(id: number): Promise<boolean> {
    return this.#store.removeEndpoint(id);
  }

  /**
   * Queues a `webhook.test` event to this endpoint and attempts it at once;
   * null when no endpoint has this id. A failed attempt stays queued and is
   * retried like any other delivery.
   */
  async test(id: number): Promise<WebhookTestReport | null> {
    const now = this.#now();
    const messageId = newMessageId();
    const payload = JSON.stringify({
      type: TEST_EVENT_TYPE,
      timestamp: now.toISOString(),
      data: { endpoint: { id } },
    });
    const deliveryId = await this.#store.enqueueForEndpoint(
      id,
      { messageId, type: TEST_EVENT_TYPE, payload },
      now,
    );
    if (deliveryId === null) return null;
    const attempt = await this.worker.attempt(deliveryId);
    return { messageId, attempt: attempt && { outcome: attempt.outcome } };
  }

  /**
   * The AuthEventListener. The INSERT starts here, synchronously with the
   * event, so it is queued before the request that caused it is answered: on
   * SQLite it commits before the answer is written (better-sqlite3 runs it at
   * once, and answers leave at the end of the event loop's turn); on
   * PostgreSQL it is on the wire. `flush()` (and close) wait for it.
   */
  readonly record = (event: AuthEvent): void => {
    const queued = this.#messageOf(event);
    if (!queued) return;
    const { message, at } = queued;
    const write: Promise<void> = this.#store
      .enqueueForSubscribers(message, at)
      .then((queued) => {
        if (queued > 0) this.worker.nudge();
      })
      .catch((error: unknown) => {
        this.#logger?.error({ err: error, type: message.type }, "webhook could not be queued");
      })
      .finally(() => this.#pending.delete(write));
    this.#pending.add(write);
  };

  /**
   * The event of a change, queued in the change's transaction (UnitOfWork):
   * delivered exactly when the change commits. The worker is woken after
   * the commit, when the rows can be seen.
   */
  readonly recordIn = async (event: AuthEvent, tx: Transaction): Promise<void> => {
    const queued = this.#messageOf(event);
    if (!queued) return;
    if ((await this.#store.enqueueForSubscribers(queued.message, queued.at, tx)) > 0)
      tx.afterCommit(() => this.worker.nudge());
  };

  /** The queued message an event becomes, and when it happened; null when it sends none. */
  #messageOf(event: AuthEvent): { message: QueuedMessage; at: Date } | null {
    const at = this.#now();
    const payload = toWebhookPayload(event, at);
    if (!payload) return null;
    const message = {
      messageId: newMessageId(),
      type: payload.type,
      payload: JSON.stringify(payload),
    };
    return { message, at };
  }

  /** Resolves once every event heard so far is queued (or its failure logged). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Queues what was heard, then stops the worker. */
  async close(): Promise<void> {
    await this.flush();
    await this.worker.stop();
  }
}
