import type { Kysely } from "kysely";
import type { Transaction } from "../../core/unit-of-work.js";
import { normalizeEmail } from "../../core/user.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";
import type { AuditEntry, AuditEventName, AuditQuery, AuditStore } from "./audit.js";

/** Rows per INSERT: well under SQLite's 32,766 bound parameters and pg's 65,535. */
const INSERT_CHUNK = 500;

/** The audit table over Kysely, for SQLite and PostgreSQL alike. */
export class KyselyAuditStore implements AuditStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insertAuditEntries(entries: readonly AuditEntry[], tx?: Transaction): Promise<void> {
    const db = executorOf(this.#db, tx);
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const rows = entries.slice(start, start + INSERT_CHUNK).map((entry) => ({
        at: entry.at.getTime(),
        event: entry.event,
        outcome: entry.outcome,
        user_id: entry.userId,
        email: entry.email,
        ip: entry.ip,
        user_agent: entry.userAgent,
        repeats: entry.repeats,
      }));
      await db.insertInto("audit_log").values(rows).execute();
    }
  }

  async listAuditEntries({ email, user, since, limit = 1000 }: AuditQuery): Promise<AuditEntry[]> {
    let query = this.#db.selectFrom("audit_log").selectAll();
    if (email !== undefined) query = query.where("email", "=", normalizeEmail(email));
    if (user !== undefined)
      query = query.where((eb) =>
        eb.or([eb("user_id", "=", user.id), eb("email", "=", normalizeEmail(user.email))]),
      );
    if (since !== undefined) query = query.where("at", ">=", since.getTime());
    const rows = await query.orderBy("at").orderBy("id").limit(limit).execute();
    return rows.map((row) => ({
      at: new Date(Number(row.at)),
      event: row.event as AuditEventName,
      outcome: row.outcome,
      userId: row.user_id === null ? null : Number(row.user_id),
      email: row.email,
      ip: row.ip,
      userAgent: row.user_agent,
      repeats: Number(row.repeats),
    }));
  }

  /** Part of an erasure: every row of the user, by id or by email (erasure.ts). */
  static async eraseRowsOf(
    trx: Kysely<Database>,
    user: { id: number; email: string },
  ): Promise<void> {
    await trx
      .deleteFrom("audit_log")
      .where((eb) =>
        eb.or([eb("user_id", "=", user.id), eb("email", "=", normalizeEmail(user.email))]),
      )
      .execute();
  }

  async deleteAuditEntriesBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom("audit_log")
      .where("at", "<", before.getTime())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
