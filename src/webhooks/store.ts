import type { Transaction } from "../auth/unit-of-work.js";

/** An endpoint as listed: never its secret. */
export interface WebhookEndpoint {
  id: number;
  url: string;
  events: string[];
  createdAt: Date;
}

/** A claimed delivery, with what sending it needs. */
export interface WebhookDelivery {
  id: number;
  endpointId: number;
  url: string;
  /** The endpoint's secret, sealed (SecretBox); opened only to sign. */
  secretSealed: string;
  messageId: string;
  eventType: string;
  payload: string;
  createdAt: Date;
  /** Attempts so far, this one included. */
  attempts: number;
}

export interface QueuedMessage {
  messageId: string;
  type: string;
  payload: string;
}

/** Endpoints and the durable delivery queue, shared by every process over the database. */
export interface WebhookStore {
  addEndpoint(
    url: string,
    events: string[],
    secretSealed: string,
    now: Date,
  ): Promise<WebhookEndpoint>;
  listEndpoints(): Promise<WebhookEndpoint[]>;
  /** False when no endpoint has this id. Its pending deliveries go with it. */
  removeEndpoint(id: number): Promise<boolean>;
  /**
   * Queues the message for every endpoint subscribed to its type, in one
   * statement (no endpoint: no row); returns how many deliveries were queued.
   * In `tx` when given: delivered only if that transaction commits.
   */
  enqueueForSubscribers(message: QueuedMessage, now: Date, tx?: Transaction): Promise<number>;
  /** Queues the message for one endpoint whatever it subscribes to; the delivery's id, or null. */
  enqueueForEndpoint(endpointId: number, message: QueuedMessage, now: Date): Promise<number | null>;
  /** As the mail outbox claims (leased-queue.ts); only delivery `onlyId` when given. */
  claimDue(now: Date, leaseMs: number, limit: number, onlyId?: number): Promise<WebhookDelivery[]>;
  /** When the earliest pending delivery falls due; null when none is pending. */
  nextAttemptAt(): Promise<Date | null>;
  deleteDelivery(id: number): Promise<void>;
  rescheduleDelivery(id: number, nextAttemptAt: Date, error: string): Promise<void>;
  failDelivery(id: number, error: string): Promise<void>;
  deleteFailedBefore(before: Date): Promise<number>;
}
