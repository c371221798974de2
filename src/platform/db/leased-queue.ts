import type { ColumnType, Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * The claim / lease / retry / give-up machinery of a durable queue table,
 * shared by the mail outbox and webhook deliveries. Each queue keeps a table
 * of its own (their rows have nothing else in common, and a webhook row must
 * cascade with its endpoint), but both have these columns and both are
 * claimed, released and failed by this one code.
 */
export type LeasedTable = "mail_outbox" | "webhook_deliveries";

interface LeasedColumns {
  id: ColumnType<number | string, never, never>;
  created_at: ColumnType<number | string, never, never>;
  attempts: ColumnType<number, never, number>;
  next_attempt_at: ColumnType<number | string, never, number>;
  locked_until: ColumnType<number | string, never, number>;
  status: ColumnType<string, never, string>;
  last_error: ColumnType<string | null, never, string | null>;
}

type LeasedDatabase = { [table in LeasedTable]: LeasedColumns };

const ERROR_MAX_LENGTH = 500;

/** A claimed row: every column, as the driver returns them. */
export type ClaimedRow = Record<string, unknown> & { id: number; attempts: number };

/** The row's queue, in the shape this module needs (both tables have these columns). */
function leased(db: Kysely<Database>): Kysely<LeasedDatabase> {
  return db as unknown as Kysely<LeasedDatabase>;
}

/**
 * Takes up to `limit` due rows for `leaseMs` and counts an attempt on each
 * (only row `onlyId` when given). A row is claimed by one process at a time;
 * one whose claimant died is due again when its lease ends.
 */
export async function claimDue(
  db: Kysely<Database>,
  table: LeasedTable,
  options: { now: Date; leaseMs: number; limit: number; onlyId?: number },
): Promise<ClaimedRow[]> {
  const queue = leased(db);
  const nowMs = options.now.getTime();
  let query = queue
    .selectFrom(table)
    .select("id")
    .where("status", "=", "pending")
    .where("next_attempt_at", "<=", nowMs)
    .where("locked_until", "<=", nowMs);
  if (options.onlyId !== undefined) query = query.where("id", "=", options.onlyId);
  const due = await query.orderBy("id").limit(options.limit).execute();
  const claimed: ClaimedRow[] = [];
  for (const { id } of due) {
    // Conditional on the lease still being free: of two processes racing for
    // a row, one updates it and the other sees no row come back.
    const row = await queue
      .updateTable(table)
      .set((eb) => ({ locked_until: nowMs + options.leaseMs, attempts: eb("attempts", "+", 1) }))
      .where("id", "=", Number(id))
      .where("status", "=", "pending")
      .where("locked_until", "<=", nowMs)
      .returningAll()
      .executeTakeFirst();
    if (row) claimed.push({ ...row, id: Number(row.id), attempts: Number(row.attempts) });
  }
  return claimed;
}

/** A failed attempt: the lease ends and the row is due again at `nextAttemptAt`. */
export async function reschedule(
  db: Kysely<Database>,
  table: LeasedTable,
  id: number,
  nextAttemptAt: Date,
  error: string,
): Promise<void> {
  await leased(db)
    .updateTable(table)
    .set({
      next_attempt_at: nextAttemptAt.getTime(),
      locked_until: 0,
      last_error: error.slice(0, ERROR_MAX_LENGTH),
    })
    .where("id", "=", id)
    .execute();
}

/** Out of attempts (or of time): kept as failed, for operators, until purged. */
export async function markFailed(
  db: Kysely<Database>,
  table: LeasedTable,
  id: number,
  error: string,
): Promise<void> {
  await leased(db)
    .updateTable(table)
    .set({ status: "failed", locked_until: 0, last_error: error.slice(0, ERROR_MAX_LENGTH) })
    .where("id", "=", id)
    .execute();
}

/** Done: the row goes. */
export async function deleteRow(
  db: Kysely<Database>,
  table: LeasedTable,
  id: number,
): Promise<void> {
  await leased(db).deleteFrom(table).where("id", "=", id).execute();
}

/** Deletes the failed rows created before `before`; returns how many. */
export async function deleteFailedBefore(
  db: Kysely<Database>,
  table: LeasedTable,
  before: Date,
): Promise<number> {
  const result = await leased(db)
    .deleteFrom(table)
    .where("status", "=", "failed")
    .where("created_at", "<", before.getTime())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The delay before attempt `attempts + 1`: `baseMs`, doubling with each failure, at most `maxMs`. */
export function retryDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxMs);
}
