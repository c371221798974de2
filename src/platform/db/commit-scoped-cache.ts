import type BetterSqlite3 from "better-sqlite3";
import type { AnswerCache } from "./answer-cache.js";
import { CommitWatch } from "./wal-commits.js";

/**
 * A per-process cache of answers read from a SQLite database, kept only as
 * long as nobody commits: every get first checks the WAL-index header (one
 * pread, see wal-commits.ts), and any commit by any connection, this
 * process's, a worker's or the CLI's, empties it. An entry also ends at its
 * own time (a token's expiry). What it caches must therefore depend only on
 * rows of that database and on the clock. A database without a WAL file
 * (`:memory:`) keeps nothing: there, its own commits cannot be seen.
 *
 * A reader checks (get) before it reads, and stores (set) with the
 * generation it saw then: an entry read across someone else's get that
 * found a commit is dropped, and a commit nobody has checked for yet empties
 * the cache at the next get.
 */
export class CommitScopedCache<V> implements AnswerCache<V> {
  readonly #commits: CommitWatch;
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #max: number;
  /** Bumped each time a commit empties the cache. */
  #generation = 0;

  constructor(database: BetterSqlite3.Database, max: number) {
    this.#commits = new CommitWatch(database);
    this.#max = max;
  }

  /** The value kept for the key, unless a commit or its time has ended it. */
  get(key: string, now: number): V | undefined {
    if (!this.#commits.seesOwnCommits) return undefined;
    if (this.#commits.changed()) {
      this.forget();
      return undefined;
    }
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** What a reader keeps after its get, to hand back to set. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Keeps a value read since the get that returned `generation`, until
   * `until` (milliseconds); past `max` entries the cache starts over.
   */
  set(key: string, value: V, until: number, generation: number): void {
    if (generation !== this.#generation || !this.#commits.seesOwnCommits) return;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, until });
  }

  forget(): void {
    this.#generation++;
    this.#entries.clear();
  }

  close(): void {
    this.forget();
    this.#commits.close();
  }
}
