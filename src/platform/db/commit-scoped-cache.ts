import type BetterSqlite3 from "better-sqlite3";
import { AnswerCache } from "./answer-cache.js";
import { CommitWatch } from "./wal-commits.js";

/**
 * Answers read from a SQLite database, kept only as long as nobody commits:
 * every get and set first checks the WAL-index header (one pread, see
 * wal-commits.ts), and any commit by any connection, this process's, a
 * worker's or the CLI's, empties it. What it keeps must therefore depend
 * only on rows of that database and on the clock. A database without a WAL
 * file (`:memory:`) keeps nothing: there, its own commits cannot be seen.
 */
export class CommitScopedCache<V> extends AnswerCache<V> {
  readonly #commits: CommitWatch;

  constructor(database: BetterSqlite3.Database, max: number) {
    super(max);
    this.#commits = new CommitWatch(database);
  }

  protected usable(): boolean {
    if (!this.#commits.seesOwnCommits) return false;
    if (this.#commits.changed()) this.forget();
    return true;
  }

  override close(): void {
    super.close();
    this.#commits.close();
  }
}
