import type { Kysely } from "kysely";
import type { ClaimedRow } from "../../platform/db/leased-queue.js";
import type { Database } from "../../platform/db/schema.js";
import type { ClaimLimits } from "./store.js";

/** An endpoint with a due delivery, and how many of its deliveries may be in flight. */
interface Candidate {
  endpointId: number;
  inFlightLimit: number;
}

/**
 * Claims due webhook deliveries so that endpoints stay independent: each
 * round takes one due delivery of each endpoint that has room (fewer than
 * `perEndpoint` leased, one while it is failing) and is not backing off.
 * The mail outbox's plain oldest-first claim (leased-queue.ts) would hand a
 * worker the backlog of one hanging endpoint and nothing else.
 *
 * In flight means leased, by any worker of any instance, so the limit holds
 * across processes; each claim re-checks it in its UPDATE (exact on SQLite,
 * which runs one write at a time; on PostgreSQL two instances claiming for
 * one endpoint in the same instant may both get a place).
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  now: Date,
  limits: ClaimLimits,
): Promise<ClaimedRow[]> {
  const nowMs = now.getTime();
  const candidates = await endpointsWithRoom(db, nowMs, limits);
  const claimed: ClaimedRow[] = [];
  for (const candidate of candidates) {
    const row = await claimNextOf(db, candidate, nowMs, limits.leaseMs);
    if (row) claimed.push(row);
  }
  return claimed;
}

/** Endpoints with a due delivery nobody holds, the longest waiting first. */
async function endpointsWithRoom(
  db: Kysely<Database>,
  nowMs: number,
  limits: ClaimLimits,
): Promise<Candidate[]> {
  const rows = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .select(["d.endpoint_id", "e.failures"])
    .where("d.status", "=", "pending")
    .where("d.next_attempt_at", "<=", nowMs)
    .where("d.locked_until", "<=", nowMs)
    .where("e.retry_at", "<=", nowMs)
    .groupBy(["d.endpoint_id", "e.failures"])
    // Its deliveries in flight, counted once per endpoint (after grouping), not once per due row.
    .having((eb) =>
      eb(
        eb
          .selectFrom("webhook_deliveries as f")
          .select((f) => f.fn.countAll<number>().as("in_flight"))
          .whereRef("f.endpoint_id", "=", "d.endpoint_id")
          .where("f.status", "=", "pending")
          .where("f.locked_until", ">", nowMs),
        "<",
        eb.case().when("e.failures", ">", 0).then(1).else(limits.perEndpoint).end(),
      ),
    )
    .orderBy((eb) => eb.fn.min("d.next_attempt_at"))
    .limit(limits.limit)
    .execute();
  return rows.map((row) => ({
    endpointId: Number(row.endpoint_id),
    inFlightLimit: Number(row.failures) > 0 ? 1 : limits.perEndpoint,
  }));
}

/**
 * Leases the endpoint's due delivery that has waited longest, if at this
 * write the endpoint still has room and is not backing off (another worker
 * may have moved in between). Longest waiting, not oldest: a delivery that
 * just failed goes behind the others, so one message the receiver always
 * refuses does not stand in front of its endpoint's other messages.
 */
async function claimNextOf(
  db: Kysely<Database>,
  candidate: Candidate,
  nowMs: number,
  leaseMs: number,
): Promise<ClaimedRow | null> {
  const row = await db
    .updateTable("webhook_deliveries")
    .set((eb) => ({ locked_until: nowMs + leaseMs, attempts: eb("attempts", "+", 1) }))
    .where((eb) =>
      eb.and([
        eb(
          "id",
          "=",
          eb
            .selectFrom("webhook_deliveries as n")
            .select("n.id")
            .where("n.endpoint_id", "=", candidate.endpointId)
            .where("n.status", "=", "pending")
            .where("n.next_attempt_at", "<=", nowMs)
            .where("n.locked_until", "<=", nowMs)
            .orderBy("n.next_attempt_at")
            .orderBy("n.id")
            .limit(1),
        ),
        eb("status", "=", "pending"),
        eb("locked_until", "<=", nowMs),
        eb(
          eb
            .selectFrom("webhook_deliveries as f")
            .select((f) => f.fn.countAll<number>().as("in_flight"))
            .where("f.endpoint_id", "=", candidate.endpointId)
            .where("f.status", "=", "pending")
            .where("f.locked_until", ">", nowMs),
          "<",
          candidate.inFlightLimit,
        ),
        eb.exists(
          eb
            .selectFrom("webhook_endpoints as e")
            .select("e.id")
            .where("e.id", "=", candidate.endpointId)
            .where("e.retry_at", "<=", nowMs),
        ),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  return row ? { ...row, id: Number(row.id), attempts: Number(row.attempts) } : null;
}
