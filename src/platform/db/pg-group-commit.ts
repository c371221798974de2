import { CompiledQuery, type Kysely } from "kysely";
import pg from "pg";
import {
  DeadlineExceededError,
  outsideAnyDeadline,
  runWithDeadline,
} from "../runtime/request-deadline.js";
import { withParameters } from "./compiled-query.js";

/** Writes in one statement at most (nine parameters each, far from PostgreSQL's 65,535). */
const MAX_WRITES_PER_STATEMENT = 64;

/** One hot write waiting for its group's statement. */
interface PendingWrite {
  compiled: CompiledQuery;
  parameters: readonly unknown[];
  /** The row it writes: two writes of one row never share a statement. */
  rowKey: string | undefined;
  /** Its request's deadline (ms since the epoch), which it never waits past. */
  deadline: number;
  resolve: (changes: number) => void;
  reject: (error: unknown) => void;
}

const groups = new WeakMap<Kysely<never>, PgGroupCommit>();

/**
 * Over PostgreSQL, the hot writes (HotQuery) issued during one turn of the
 * event loop sent as one statement, each write a data-modifying `WITH`
 * query: one round trip and one commit (one WAL flush) for the group
 * instead of one each, and every caller answered once it has committed.
 *
 * A refresh grant writes three rows (two of them here: its consumption runs
 * alone, HotQuery's `alone`), each until now a statement and a commit of its
 * own: a round trip that wakes a backend on the same cores, and a WAL flush
 * the statement waits for.
 *
 * A group waits for its slowest write. Each write keeps its own request's
 * deadline: one already past is refused alone, unsent, and the statement
 * may wait until the latest deadline among its writes, so an earlier
 * request's deadline never fails another's write (an earlier one may be
 * answered that much later). A write whose answer decides what follows,
 * where a lock held elsewhere could hold the others, is not grouped.
 *
 * The statement is atomic, as each write alone was. All its writes see one
 * snapshot, so a write never shares a statement with another write of the
 * same row (an upsert after a write of its row would fail, a consume after
 * an insert of its row would find nothing): a repeated `rowKey` starts the
 * next statement. When PostgreSQL refuses the statement (a constraint, a
 * deadlock), nothing of it was kept, and each write runs again alone, in
 * order, so that the failure is answered to its own caller only; when the
 * connection fails, every write of it fails, as each alone would have.
 *
 * Its SQL is the writes' own, compiled by Kysely, with the placeholders
 * renumbered: HotQuery's statements bind every value, so `$` appears in
 * them only as a placeholder (checked, not assumed).
 */
export class PgGroupCommit {
  readonly #db: Kysely<never>;
  #pending: PendingWrite[] = [];
  #scheduled = false;

  private constructor(db: Kysely<never>) {
    this.#db = db;
  }

  /** The database's one group. */
  static of(db: Kysely<never>): PgGroupCommit {
    let group = groups.get(db);
    if (!group) {
      group = new PgGroupCommit(db);
      groups.set(db, group);
    }
    return group;
  }

  /** Whether a compiled write can join a group: no literal, comment or dollar quote to misread. */
  static accepts(compiled: CompiledQuery): boolean {
    return !/['$]|--|\/\*|\breturning\b/i.test(compiled.sql.replace(/\$\d+/g, ""));
  }

  /** Runs the write with this turn's group; answers the rows it changed once committed. */
  write(
    compiled: CompiledQuery,
    parameters: readonly unknown[],
    rowKey: string | undefined,
    deadline: number,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ compiled, parameters, rowKey, deadline, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Outside the request that happened to write first: the group is every
      // request's, and each write keeps its own deadline.
      outsideAnyDeadline(() =>
        setImmediate(() => {
          this.#scheduled = false;
          void this.#flush();
        }),
      );
    });
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    for (const statement of statementsOf(pending)) await this.#send(statement);
  }

  async #send(group: PendingWrite[]): Promise<void> {
    // A write whose request has run out of time is refused alone, unsent.
    const now = Date.now();
    const writes = group.filter((write) => {
      if (write.deadline > now) return true;
      write.reject(new DeadlineExceededError("the database"));
      return false;
    });
    if (writes.length === 0) return;
    if (writes.length === 1) return this.#alone(writes[0] as PendingWrite);
    let counts: number[];
    try {
      // The statement waits as long as its latest write may: an earlier
      // request's deadline must not fail another's write.
      const latest = Math.max(...writes.map((write) => write.deadline));
      const { rows } = await runWithDeadline(latest, () =>
        this.#db.executeQuery<Record<string, number>>(combined(writes)),
      );
      const row = rows[0] ?? {};
      counts = writes.map((_, index) => Number(row[`c${index}`] ?? 0));
    } catch (error) {
      if (!refusedByServer(error)) {
        // The connection failed or the wait ended: whether it committed is
        // not known, and a write run again could answer differently (a
        // consume would find its own mark).
        for (const write of writes) write.reject(error);
        return;
      }
      // PostgreSQL refused the statement, so nothing of it was kept: each
      // write again alone, so that the failure reaches its own caller only.
      for (const write of writes) await this.#alone(write);
      return;
    }
    writes.forEach((write, index) => {
      write.resolve(counts[index] ?? 0);
    });
  }

  async #alone(write: PendingWrite): Promise<void> {
    try {
      const result = await runWithDeadline(write.deadline, () =>
        this.#db.executeQuery(withParameters(write.compiled, write.parameters)),
      );
      write.resolve(Number(result.numAffectedRows ?? 0n));
    } catch (error) {
      write.reject(error);
    }
  }
}

/** The writes in issue order, cut into statements where a row repeats or one grows too long. */
function statementsOf(pending: PendingWrite[]): PendingWrite[][] {
  const statements: PendingWrite[][] = [];
  let current: PendingWrite[] = [];
  let rows = new Set<string>();
  for (const write of pending) {
    const repeats = write.rowKey !== undefined && rows.has(write.rowKey);
    if (repeats || current.length === MAX_WRITES_PER_STATEMENT) {
      statements.push(current);
      current = [];
      rows = new Set();
    }
    current.push(write);
    if (write.rowKey !== undefined) rows.add(write.rowKey);
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** `WITH w0 AS (<write> RETURNING 1), ... SELECT (SELECT count(*) FROM w0) AS c0, ...` */
function combined(writes: PendingWrite[]): CompiledQuery {
  const parameters: unknown[] = [];
  const queries: string[] = [];
  const counts: string[] = [];
  writes.forEach((write, index) => {
    const offset = parameters.length;
    queries.push(
      `w${index} AS (${write.compiled.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)} returning 1)`,
    );
    counts.push(`(select count(*)::int from w${index}) as c${index}`);
    parameters.push(...write.parameters);
  });
  return CompiledQuery.raw(`with ${queries.join(", ")} select ${counts.join(", ")}`, parameters);
}

/**
 * PostgreSQL answered that the statement failed (its error message, with an
 * SQLSTATE outside connection exceptions, class 08, and operator
 * intervention, class 57, such as a cancel): it was rolled back whole.
 * Node's socket errors (EPIPE) and the driver's own timeouts are not.
 */
function refusedByServer(error: unknown): boolean {
  return error instanceof pg.DatabaseError && !/^(08|57)/.test(error.code ?? "");
}
