import { type Kysely, sql } from "kysely";
import type { Transaction } from "../../core/unit-of-work.js";
import {
  type ClaimedRow,
  claimDue,
  deleteFailedBefore,
  deleteRow,
  markFailed,
  reschedule,
} from "../../platform/db/leased-queue.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";
import { claimDueDeliveries } from "./claims.js";
import type {
  ClaimLimits,
  QueuedMessage,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookStore,
} from "./store.js";

/**
 * Webhook endpoints and deliveries over Kysely, for SQLite and PostgreSQL.
 * The delivery queue is a sibling of the mail outbox (same lease columns),
 * released and failed by the same code in leased-queue.ts; it is claimed per
 * endpoint (webhook-claims.ts), so that endpoints do not wait for each other.
 */
export class KyselyWebhookStore implements WebhookStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async addEndpoint(
    url: string,
    events: string[],
    secretSealed: string,
    now: Date,
  ): Promise<WebhookEndpoint> {
    const row = await this.#db
      .insertInto("webhook_endpoints")
      .values({
        url,
        events: ` ${events.join(" ")} `,
        secret_sealed: secretSealed,
        created_at: now.getTime(),
      })
      .returning(["id", "url", "events", "created_at"])
      .executeTakeFirstOrThrow();
    return toEndpoint(row);
  }

  async listEndpoints(): Promise<WebhookEndpoint[]> {
    const rows = await this.#db
      .selectFrom("webhook_endpoints")
      .select(["id", "url", "events", "created_at"])
      .orderBy("id")
      .execute();
    return rows.map(toEndpoint);
  }

  async removeEndpoint(id: number): Promise<boolean> {
    // Explicitly, not only by the foreign key's cascade: SQLite connections
    // opened without foreign_keys=ON (a tool, an old script) would keep them.
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("webhook_deliveries").where("endpoint_id", "=", id).execute();
      const result = await trx
        .deleteFrom("webhook_endpoints")
        .where("id", "=", id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async enqueueForSubscribers(
    message: QueuedMessage,
    now: Date,
    tx?: Transaction,
  ): Promise<number> {
    // Event types are letters and dots: no LIKE wildcard can hide in one.
    const result = await executorOf(this.#db, tx)
      .insertInto("webhook_deliveries")
      .columns(queuedColumns)
      .expression(this.#queuedSelect(message, now).where("events", "like", `% ${message.type} %`))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async enqueueForEndpoint(
    endpointId: number,
    message: QueuedMessage,
    now: Date,
  ): Promise<number | null> {
    const row = await this.#db
      .insertInto("webhook_deliveries")
      .columns(queuedColumns)
      .expression(this.#queuedSelect(message, now).where("id", "=", endpointId))
      .returning("id")
      .executeTakeFirst();
    return row ? Number(row.id) : null;
  }

  /** One row per matching endpoint; values cast so PostgreSQL knows their types. */
  #queuedSelect(message: QueuedMessage, now: Date) {
    const nowMs = now.getTime();
    return this.#db
      .selectFrom("webhook_endpoints")
      .select([
        "id as endpoint_id",
        sql<string>`cast(${message.messageId} as text)`.as("message_id"),
        sql<string>`cast(${message.type} as text)`.as("event_type"),
        sql<string>`cast(${message.payload} as text)`.as("payload"),
        sql<number>`cast(${nowMs} as bigint)`.as("created_at"),
        sql<number>`cast(${nowMs} as bigint)`.as("next_attempt_at"),
      ]);
  }

  async claimDue(now: Date, limits: ClaimLimits): Promise<WebhookDelivery[]> {
    return this.#withEndpoints(await claimDueDeliveries(this.#db, now, limits));
  }

  async claimOne(id: number, now: Date, leaseMs: number): Promise<WebhookDelivery | null> {
    const rows = await claimDue(this.#db, "webhook_deliveries", {
      now,
      leaseMs,
      limit: 1,
      onlyId: id,
    });
    const [delivery] = await this.#withEndpoints(rows);
    return delivery ?? null;
  }

  /** Claimed rows with what sending them needs from their endpoints. */
  async #withEndpoints(rows: ClaimedRow[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return [];
    const endpointIds = [...new Set(rows.map((row) => Number(row.endpoint_id)))];
    const endpoints = await this.#db
      .selectFrom("webhook_endpoints")
      .select(["id", "url", "secret_sealed", "failures"])
      .where("id", "in", endpointIds)
      .execute();
    const byId = new Map(endpoints.map((endpoint) => [Number(endpoint.id), endpoint]));
    const claimed: WebhookDelivery[] = [];
    for (const row of rows) {
      const endpoint = byId.get(Number(row.endpoint_id));
      // Removed between the claim and now: its deliveries are gone too.
      if (!endpoint) continue;
      claimed.push({
        id: row.id,
        endpointId: Number(row.endpoint_id),
        url: endpoint.url,
        secretSealed: endpoint.secret_sealed,
        messageId: String(row.message_id),
        eventType: String(row.event_type),
        payload: String(row.payload),
        createdAt: new Date(Number(row.created_at)),
        attempts: row.attempts,
        endpointFailures: Number(endpoint.failures),
      });
    }
    return claimed;
  }

  async nextAttemptAt(): Promise<Date | null> {
    // A delivery is due at its own time or when its endpoint's backoff ends, the later one.
    const row = await this.#db
      .selectFrom("webhook_deliveries as d")
      .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
      .select((eb) =>
        eb.fn
          .min(
            eb
              .case()
              .when("e.retry_at", ">", eb.ref("d.next_attempt_at"))
              .then(eb.ref("e.retry_at"))
              .else(eb.ref("d.next_attempt_at"))
              .end(),
          )
          .as("next"),
      )
      .where("d.status", "=", "pending")
      .executeTakeFirst();
    return row?.next == null ? null : new Date(Number(row.next));
  }

  deleteDelivery(id: number): Promise<void> {
    return deleteRow(this.#db, "webhook_deliveries", id);
  }

  rescheduleDelivery(id: number, nextAttemptAt: Date, error: string): Promise<void> {
    return reschedule(this.#db, "webhook_deliveries", id, nextAttemptAt, error);
  }

  failDelivery(id: number, error: string): Promise<void> {
    return markFailed(this.#db, "webhook_deliveries", id, error);
  }

  deleteFailedBefore(before: Date): Promise<number> {
    return deleteFailedBefore(this.#db, "webhook_deliveries", before);
  }

  async endpointFailed(endpointId: number, retryAt: Date): Promise<void> {
    await this.#db
      .updateTable("webhook_endpoints")
      .set((eb) => ({ failures: eb("failures", "+", 1), retry_at: retryAt.getTime() }))
      .where("id", "=", endpointId)
      .execute();
  }

  async endpointRecovered(endpointId: number): Promise<void> {
    await this.#db
      .updateTable("webhook_endpoints")
      .set({ failures: 0, retry_at: 0 })
      .where("id", "=", endpointId)
      .where("failures", ">", 0)
      .execute();
  }

  async failStale(
    endpointId: number,
    createdBefore: Date,
    now: Date,
    error: string,
  ): Promise<number> {
    const result = await this.#db
      .updateTable("webhook_deliveries")
      .set({ status: "failed", locked_until: 0, last_error: error })
      .where("endpoint_id", "=", endpointId)
      .where("status", "=", "pending")
      .where("locked_until", "<=", now.getTime())
      .where("created_at", "<", createdBefore.getTime())
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

const queuedColumns = [
  "endpoint_id",
  "message_id",
  "event_type",
  "payload",
  "created_at",
  "next_attempt_at",
] as const;

function toEndpoint(row: {
  id: number | string;
  url: string;
  events: string;
  created_at: number | string;
}): WebhookEndpoint {
  return {
    id: Number(row.id),
    url: row.url,
    events: row.events.trim().split(/\s+/).filter(Boolean),
    createdAt: new Date(Number(row.created_at)),
  };
}
