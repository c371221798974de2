import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Transaction } from "../../core/unit-of-work.js";
import { normalizeEmail } from "../../core/user.js";
import { HotQuery } from "../../platform/db/hot-query.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";
import { outsideAnyDeadline } from "../../platform/runtime/request-deadline.js";
import {
  type AuditEntry,
  type AuditEventName,
  type AuditQuery,
  AuditRowsLost,
  type AuditStore,
} from "./audit.js";

/**
 * Rows per INSERT (well under SQLite's 32,766 bound parameters and pg's
 * 65,535), and per turn's group when they go one statement each.
 */
const INSERT_CHUNK = 500;

/** An entry as a row of audit_log, its columns in the order of the one-row insert's parameters. */
function rowOf(entry: AuditEntry) {
  return {
    at: entry.at.getTime(),
    event: entry.event,
    outcome: entry.outcome,
    user_id: entry.userId,
    email: entry.email,
    ip: entry.ip,
    user_agent: entry.userAgent,
    repeats: entry.repeats,
  };
}

/** An entry with a value in every column, to compile the one-row insert (Kysely leaves out undefined). */
const EVERY_COLUMN: AuditEntry = {
  at: new Date(0),
  event: "login",
  outcome: "",
  userId: 0,
  email: "",
  ip: "",
  userAgent: "",
  repeats: 1,
};

/** The audit table over Kysely, for SQLite and PostgreSQL alike. */
export class KyselyAuditStore implements AuditStore {
  readonly #db: Kysely<Database>;
  readonly #insertOne: HotQuery<unknown> | undefined;

  /**
   * `sqlite`: the raw connection. Rows written off the request path (the
   * trail's batches) then go one statement each, compiled once, with the
   * token writes of the same turn of the event loop in one commit
   * (HotQuery, GroupCommit), rather than as a multi-row insert that Kysely
   * builds for each batch and commits apart: a user's every refresh grant
   * writes an audit row, and under a stream of them Kysely's building of
   * that insert was about 5% of a worker's CPU (docs/PERFORMANCE.md). Over
   * PostgreSQL the rows stay one multi-row insert: a group's statement
   * waits as long as its latest deadline, an audit row's 5 s.
   */
  constructor(db: Kysely<Database>, sqlite?: BetterSqlite3.Database) {
    this.#db = db;
    this.#insertOne = sqlite
      ? new HotQuery(
          db as never,
          db.insertInto("audit_log").values(rowOf(EVERY_COLUMN)).compile(),
          sqlite,
        )
      : undefined;
  }

  async insertAuditEntries(entries: readonly AuditEntry[], tx?: Transaction): Promise<void> {
    if (tx) return this.#insertChunks(executorOf(this.#db, tx), entries);
    // The trail's rows, written off the request path: no request's deadline
    // is theirs, though the write may have been scheduled inside one.
    const insertOne = this.#insertOne;
    return outsideAnyDeadline(() =>
      insertOne ? this.#insertEach(insertOne, entries) : this.#insertChunks(this.#db, entries),
    );
  }

  async #insertChunks(db: Kysely<Database>, entries: readonly AuditEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const rows = entries.slice(start, start + INSERT_CHUNK).map(rowOf);
      await db.insertInto("audit_log").values(rows).execute();
    }
  }

  /**
   * One statement a row, INSERT_CHUNK rows a turn at most (each chunk in
   * order, in one group, which a backlog must not swell into a long
   * transaction holding the write lock); a row that fails (a constraint) is
   * lost alone, a failed commit loses its chunk.
   */
  async #insertEach(insertOne: HotQuery<unknown>, entries: readonly AuditEntry[]): Promise<void> {
    let lost = 0;
    let firstCause: unknown;
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const outcomes = await Promise.allSettled(
        entries
          .slice(start, start + INSERT_CHUNK)
          .map((entry) => insertOne.changes(Object.values(rowOf(entry)))),
      );
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled") continue;
        if (lost++ === 0) firstCause = outcome.reason;
      }
    }
    if (lost > 0) throw new AuditRowsLost(lost, firstCause);
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
