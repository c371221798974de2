import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import { KyselyTransaction } from "../../platform/db/transaction.js";
import { CommitWatch } from "../../platform/db/wal-commits.js";
import { wrapMethods } from "../../platform/db/wrap-methods.js";
import type { AuthStore } from "../store.js";
import {
  compileSessionByTokenHash,
  type SessionLookupRow,
  toSessionLookup,
} from "./session-lookup.js";

type SessionLookup = Awaited<ReturnType<AuthStore["findSessionByTokenHash"]>>;

/** The store methods after which a cached session or user may be wrong. */
export const INVALIDATING_METHODS: ReadonlySet<string> = new Set<string>([
  "updateUser",
  "deleteUser",
  "eraseUser",
  "touchSession",
  "deleteSessionByTokenHash",
  "deleteSessionsOfUser",
  "deleteSessionOfUser",
  "deleteOtherSessionsOfUser",
  "changePassword",
  "completePasswordReset",
  "purgeExpired",
]);

/**
 * A store's methods as the cache must see them: each named one (a write that
 * could change a cached lookup: a user changed, a session ended) empties the
 * cache before and after it runs, and, when it ran in a unit of work's
 * transaction, once more after that commits (until then, a lookup still
 * reads the old rows and could keep them). `own` methods are served as given.
 */
export function invalidatingWrites<T extends object>(
  store: T,
  names: ReadonlySet<string>,
  invalidate: () => void,
  own: Record<string, unknown> = {},
): T {
  return wrapMethods(
    store,
    (method, name) =>
      names.has(String(name))
        ? async (...args: unknown[]) => {
            invalidate();
            try {
              return await method(...args);
            } finally {
              invalidate();
              const tx = args.find((arg) => arg instanceof KyselyTransaction);
              if (tx) (tx as KyselyTransaction).afterCommit(invalidate);
            }
          }
        : method,
    own,
  );
}

/**
 * A session cache over a store: the cached store, and how a capability's
 * store is wrapped so that its writes that change a user or end sessions
 * (by name) empty the cache too.
 */
export interface SessionCache<T> {
  store: T;
  invalidating<S extends object>(store: S, names: ReadonlySet<string>): S;
  /**
   * Also calls `forget` whenever this process's writes empty the cache (a
   * user changed, sessions ended): for another cache of answers that depend
   * on users. Only where other commits are not seen by every read (PostgreSQL).
   */
  alsoForget?(forget: () => void): void;
}

/** Enough for every active session of a busy process; past it the cache starts over. */
export const MAX_CACHED_SESSIONS = 50_000;

/**
 * A per-process cache of session lookups over SQLite, for the query every
 * authenticated request makes, that never serves a revoked session:
 *
 * - a write through this process (logout, revocation, password change or
 *   reset, renewal, purge) empties it, before and after the write;
 * - a commit by any connection, other processes included (`--workers`, the
 *   CLI), rewrites the WAL-index header, which every lookup reads first (one
 *   pread, see wal-commits.ts): a change empties the cache.
 *
 * A miss checks for commits and then reads the row synchronously on the raw
 * connection, so an entry is never labelled newer than what it holds. Inside
 * an open transaction of this connection (which could still roll back) the
 * lookup goes through Kysely instead and is not cached. PostgreSQL's cache
 * (pg-session-cache.ts) hears other instances' writes through LISTEN/NOTIFY.
 */
export function withSessionCache<T extends AuthStore>(
  store: T,
  db: Kysely<Database>,
  database: BetterSqlite3.Database,
): SessionCache<T> {
  const commits = new CommitWatch(database);
  const sql = compileSessionByTokenHash(db).sql;
  // Prepared at first use: the tables exist only once migrations have run.
  let lookup: BetterSqlite3.Statement | undefined;
  const entries = new Map<string, NonNullable<SessionLookup>>();

  const invalidate = () => entries.clear();

  async function findSessionByTokenHash(tokenHash: string): Promise<SessionLookup> {
    if (database.inTransaction) return store.findSessionByTokenHash(tokenHash);
    if (commits.changed()) entries.clear();
    const cached = entries.get(tokenHash);
    if (cached !== undefined) return cached;
    lookup ??= database.prepare(sql);
    const row = lookup.get(tokenHash) as SessionLookupRow | undefined;
    if (!row) return null; // unknown tokens are not kept: a spray of them must not evict real ones
    const found = toSessionLookup(row);
    if (entries.size >= MAX_CACHED_SESSIONS) entries.clear();
    entries.set(tokenHash, found);
    return found;
  }

  async function close(): Promise<void> {
    commits.close();
    await store.close();
  }

  return {
    store: invalidatingWrites(store, INVALIDATING_METHODS, invalidate, {
      findSessionByTokenHash,
      close,
    }),
    invalidating: (other, names) => invalidatingWrites(other, names, invalidate),
  };
}
