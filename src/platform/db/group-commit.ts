import type BetterSqlite3 from "better-sqlite3";
import { outsideAnyDeadline, runWithDeadline } from "../runtime/request-deadline.js";
import { isBusy } from "./sqlite-lock-wait.js";

/** Pauses between tries for the write lock: the next turn of the event loop first (a write holds it ~0.1 ms). */
const RETRY_DELAYS_MS = [0, 1, 1, 2, 5, 10, 20, 40];

/** The pause (ms, 0: the next turn) before try `attempt` + 2 of a hot statement SQLite refused as busy. */
export function busyRetryDelayMs(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] ?? 40;
}

/** One hot write waiting for its group's commit. */
interface PendingWrite {
  /** Runs the statement on the raw connection; answers the rows it changed. */
  run: () => number;
  /** Runs it through Kysely's driver instead (a transaction is open, or the lock is held too long). */
  driver: () => Promise<number>;
  /**
   * Its request's deadline: when it stops waiting for another process's
   * write lock and goes through the driver, which waits no later than this.
   */
  giveUpAt: number;
  resolve: (changes: number) => void;
  reject: (error: unknown) => void;
}

const groups = new WeakMap<BetterSqlite3.Database, GroupCommit>();

/**
 * The hot writes (HotQuery) issued during one turn of the event loop,
 * committed together in one SQLite transaction (group commit), each caller
 * answered only once that commit is done.
 *
 * A refresh grant writes three rows (the old token consumed, the new refresh
 * and access tokens), and 32 grants in flight issue several writes a turn.
 * Each commit appends to the WAL every page it changed (the table's last
 * page, the primary key's, the expiry and account indexes' last pages), so
 * writes committed together share those frames: 185 against 296 µs of
 * storage a refresh in a microbenchmark of 32 chains, batches of 16 against
 * one commit a refresh.
 *
 * Nothing is held open across turns: the group's BEGIN, statements and
 * COMMIT run synchronously, so no other request's statement runs inside it.
 * One statement's failure (a constraint) is that caller's alone: SQLite
 * undoes the statement and the transaction goes on. A failure that ends the
 * transaction (disk full, I/O) or a failed COMMIT fails every write of the
 * group, since none of them was kept.
 *
 * The write lock is asked for without SQLite's busy handler, which sleeps
 * synchronously (at least 1 ms, while another process holds the lock for
 * about 0.1 ms) with every other request of the process waiting: with
 * `--workers`, that sleep was where a second worker's refresh grants went.
 * A group that finds the lock taken tries again on the event loop's next
 * turns; a write still waiting at its deadline goes through the driver,
 * which answers as it does for any statement.
 */
export class GroupCommit {
  readonly #sqlite: BetterSqlite3.Database;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #busyAttempts = 0;
  #statements:
    | {
        begin: BetterSqlite3.Statement;
        commit: BetterSqlite3.Statement;
        rollback: BetterSqlite3.Statement;
        noBusyWait: BetterSqlite3.Statement;
        restoreBusyWait: BetterSqlite3.Statement;
      }
    | undefined;

  private constructor(sqlite: BetterSqlite3.Database) {
    this.#sqlite = sqlite;
  }

  /** The connection's one group. */
  static of(sqlite: BetterSqlite3.Database): GroupCommit {
    let group = groups.get(sqlite);
    if (!group) {
      group = new GroupCommit(sqlite);
      groups.set(sqlite, group);
    }
    return group;
  }

  /** Runs the write with this turn's group; answers the rows it changed once committed. */
  write(run: () => number, driver: () => Promise<number>, giveUpAt: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ run, driver, giveUpAt, resolve, reject });
      this.#schedule(0);
    });
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = () => {
      this.#scheduled = false;
      this.#flush();
    };
    // Scheduled outside the request that happened to write first: the group
    // is every request's, and each write keeps its own deadline (giveUpAt).
    outsideAnyDeadline(() => {
      if (delayMs === 0) setImmediate(flush);
      else setTimeout(flush, delayMs);
    });
  }

  #flush(): void {
    const group = this.#pending;
    this.#pending = [];
    if (group.length === 0) return;
    // A transaction another request opened through Kysely holds the
    // connection across turns: these writes must not join it.
    if (!this.#sqlite.open || this.#sqlite.inTransaction) {
      for (const write of group) throughDriver(write);
      return;
    }
    let committed: Array<{ changes: number } | { error: unknown }>;
    try {
      committed = this.#commit(group);
    } catch (error) {
      if (!isBusy(error)) {
        for (const write of group) write.reject(error);
        return;
      }
      this.#waitForLock(group);
      return;
    }
    this.#busyAttempts = 0;
    group.forEach((write, index) => {
      const outcome = committed[index] as { changes: number } | { error: unknown };
      if ("changes" in outcome) write.resolve(outcome.changes);
      else write.reject(outcome.error);
    });
  }

  /** Another process holds the write lock: late writes go through the driver, the rest try again first. */
  #waitForLock(group: PendingWrite[]): void {
    const now = Date.now();
    const waiting = group.filter((write) => {
      if (now < write.giveUpAt) return true;
      throughDriver(write);
      return false;
    });
    if (waiting.length === 0) return;
    this.#pending = [...waiting, ...this.#pending];
    this.#schedule(busyRetryDelayMs(this.#busyAttempts++));
  }

  /**
   * One write alone commits on its own (autocommit, as before grouping); a
   * group in one transaction. Throws SQLITE_BUSY when the lock is taken
   * (nothing written), or what ended the transaction.
   */
  #commit(group: PendingWrite[]): Array<{ changes: number } | { error: unknown }> {
    const statements = this.#prepared();
    statements.noBusyWait.get();
    try {
      if (group.length === 1) return [{ changes: (group[0] as PendingWrite).run() }];
      statements.begin.run();
      const outcomes: Array<{ changes: number } | { error: unknown }> = [];
      for (const write of group) {
        try {
          outcomes.push({ changes: write.run() });
        } catch (error) {
          // SQLite rolled the whole transaction back (disk full, I/O): nothing
          // was kept, and a next statement would commit on its own.
          if (!this.#sqlite.inTransaction) throw error;
          outcomes.push({ error });
        }
      }
      try {
        statements.commit.run();
      } catch (error) {
        // Nothing of the group was kept: a busy commit is tried again as a whole.
        if (this.#sqlite.inTransaction) statements.rollback.run();
        throw error;
      }
      return outcomes;
    } finally {
      statements.restoreBusyWait.get();
    }
  }

  #prepared() {
    const sqlite = this.#sqlite;
    this.#statements ??= {
      begin: sqlite.prepare("BEGIN IMMEDIATE"),
      commit: sqlite.prepare("COMMIT"),
      rollback: sqlite.prepare("ROLLBACK"),
      noBusyWait: sqlite.prepare("PRAGMA busy_timeout = 0"),
      restoreBusyWait: sqlite.prepare(
        `PRAGMA busy_timeout = ${Number(sqlite.pragma("busy_timeout", { simple: true }))}`,
      ),
    };
    return this.#statements;
  }
}

function throughDriver(write: PendingWrite): void {
  runWithDeadline(write.giveUpAt, write.driver).then(write.resolve, write.reject);
}
