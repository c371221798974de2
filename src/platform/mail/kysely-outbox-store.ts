import type { Kysely } from "kysely";
import {
  claimDue,
  deleteFailedBefore,
  deleteRow,
  markFailed,
  reschedule,
} from "../db/leased-queue.js";
import type { Database } from "../db/schema.js";
import { executorOf } from "../db/transaction.js";
import type { Transaction } from "../db/transaction-handle.js";
import type { OutboxMessage, OutboxStore } from "./outbox.js";

/** The mail outbox over Kysely, for SQLite and PostgreSQL alike (claims: leased-queue.ts). */
export class KyselyOutboxStore implements OutboxStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async enqueueMail(
    kind: string,
    email: string,
    now: Date,
    refId?: number,
    tx?: Transaction,
    language?: string,
  ): Promise<void> {
    await executorOf(this.#db, tx)
      .insertInto("mail_outbox")
      .values({
        kind,
        email,
        created_at: now.getTime(),
        next_attempt_at: now.getTime(),
        ref_id: refId ?? null,
        language: language ?? null,
      })
      .execute();
  }

  async claimDueMail(now: Date, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    const rows = await claimDue(this.#db, "mail_outbox", { now, leaseMs, limit });
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind as string,
      email: row.email as string,
      refId: row.ref_id == null ? null : Number(row.ref_id),
      attempts: row.attempts,
      language: typeof row.language === "string" ? row.language : null,
    }));
  }

  deleteMail(id: number): Promise<void> {
    return deleteRow(this.#db, "mail_outbox", id);
  }

  rescheduleMail(id: number, nextAttemptAt: Date, error: string): Promise<void> {
    return reschedule(this.#db, "mail_outbox", id, nextAttemptAt, error);
  }

  failMail(id: number, error: string): Promise<void> {
    return markFailed(this.#db, "mail_outbox", id, error);
  }

  deleteFailedMailBefore(before: Date): Promise<number> {
    return deleteFailedBefore(this.#db, "mail_outbox", before);
  }
}

/** Deletes the mail queued for this address (any case), in the caller's transaction: an erased account's. */
export async function deleteQueuedMailTo(db: Kysely<Database>, email: string): Promise<void> {
  await db
    .deleteFrom("mail_outbox")
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .execute();
}
