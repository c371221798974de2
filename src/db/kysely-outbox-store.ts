import type { Kysely } from "kysely";
import type { MailKind } from "../auth/mail-queue.js";
import type { OutboxMessage, OutboxStore } from "../mail/outbox.js";
import type { Database } from "./schema.js";

const ERROR_MAX_LENGTH = 500;

/** The mail outbox over Kysely, for SQLite and PostgreSQL alike. */
export class KyselyOutboxStore implements OutboxStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async enqueueMail(kind: MailKind, email: string, now: Date): Promise<void> {
    await this.#db
      .insertInto("mail_outbox")
      .values({ kind, email, created_at: now.getTime(), next_attempt_at: now.getTime() })
      .execute();
  }

  async claimDueMail(now: Date, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    const nowMs = now.getTime();
    const due = await this.#db
      .selectFrom("mail_outbox")
      .select("id")
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", nowMs)
      .where("locked_until", "<=", nowMs)
      .orderBy("id")
      .limit(limit)
      .execute();
    const claimed: OutboxMessage[] = [];
    for (const { id } of due) {
      // Conditional on the lease still being free: of two instances racing for
      // a row, one updates it and the other sees no row come back.
      const row = await this.#db
        .updateTable("mail_outbox")
        .set((eb) => ({ locked_until: nowMs + leaseMs, attempts: eb("attempts", "+", 1) }))
        .where("id", "=", Number(id))
        .where("status", "=", "pending")
        .where("locked_until", "<=", nowMs)
        .returning(["id", "kind", "email", "attempts"])
        .executeTakeFirst();
      if (row) {
        claimed.push({
          id: Number(row.id),
          kind: row.kind as MailKind,
          email: row.email,
          attempts: Number(row.attempts),
        });
      }
    }
    return claimed;
  }

  async deleteMail(id: number): Promise<void> {
    await this.#db.deleteFrom("mail_outbox").where("id", "=", id).execute();
  }

  async rescheduleMail(id: number, nextAttemptAt: Date, error: string): Promise<void> {
    await this.#db
      .updateTable("mail_outbox")
      .set({
        next_attempt_at: nextAttemptAt.getTime(),
        locked_until: 0,
        last_error: error.slice(0, ERROR_MAX_LENGTH),
      })
      .where("id", "=", id)
      .execute();
  }

  async failMail(id: number, error: string): Promise<void> {
    await this.#db
      .updateTable("mail_outbox")
      .set({ status: "failed", locked_until: 0, last_error: error.slice(0, ERROR_MAX_LENGTH) })
      .where("id", "=", id)
      .execute();
  }

  async deleteFailedMailBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom("mail_outbox")
      .where("status", "=", "failed")
      .where("created_at", "<", before.getTime())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
