import type { Transaction } from "../../core/unit-of-work.js";

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
  /** The endpoint's failed attempts in a row when this was claimed (0: healthy). */
  endpointFailures: number;
}

export interface QueuedMessage {
  messageId: string;
  type: string;
  payload: string;
}

/** How many due deliveries to claim, and how many each endpoint may have in flight. */
export interface ClaimLimits {
  leaseMs: number;
  /** Deliveries claimed by this call at most. */
  limit: number;
  /**
   * Deliveries of one healthy endpoint in flight at once, over every worker;
   * an endpoint whose last attempt failed gets one.
   */
  perEndpoint: number;
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
  /**
   * Leases due deliveries, oldest first, taking at most one per endpoint in
   * each round and none of an endpoint that is backing off or has its
   * `perEndpoint` in flight: a slow or failing endpoint never takes the
   * places of the others.
   */
  claimDue(now: Date, limits: ClaimLimits): Promise<WebhookDelivery[]>;
  /** Leases this one delivery when it is due and free, whatever its endpoint's state (`webhook test`). */
  claimOne(id: number, now: Date, leaseMs: number): Promise<WebhookDelivery | null>;
  /** When the earliest pending delivery falls due (its endpoint's backoff included); null when none. */
  nextAttemptAt(): Promise<Date | null>;
  deleteDelivery(id: number): Promise<void>;
  rescheduleDelivery(id: number, nextAttemptAt: Date, error: string): Promise<void>;
  failDelivery(id: number, error: string): Promise<void>;
  deleteFailedBefore(before: Date): Promise<number>;
  /** One more failure in a row for the endpoint: none of its deliveries is claimed before `retryAt`. */
  endpointFailed(endpointId: number, retryAt: Date): Promise<void>;
  /** A delivery went through: the endpoint's backoff ends. */
  endpointRecovered(endpointId: number): Promise<void>;
  /**
   * Gives up the endpoint's pending deliveries created before `createdBefore`
   * that nobody holds: a failing endpoint's backlog waits for it, but no
   * longer than the retry period. Returns how many.
   */
  failStale(endpointId: number, createdBefore: Date, now: Date, error: string): Promise<number>;
}
