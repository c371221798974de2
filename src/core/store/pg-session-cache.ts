import type { AuthStore } from "../store.js";
import {
  INVALIDATING_METHODS,
  invalidatingWrites,
  MAX_CACHED_SESSIONS,
  type SessionCache,
} from "./session-cache.js";
import type { SessionChange, SessionChangeListener } from "./session-change-listener.js";

type SessionLookup = NonNullable<Awaited<ReturnType<AuthStore["findSessionByTokenHash"]>>>;

/**
 * A per-process cache of session lookups over PostgreSQL, kept exact enough
 * to authenticate with:
 *
 * - a revoking write through this process (logout, revocation, password
 *   change or reset, renewal, user deletion, purge) empties it before and
 *   after the write, so this instance never accepts a session after
 *   answering that it ended;
 * - any instance's write to sessions or users fires a trigger whose NOTIFY
 *   (delivered at commit, only if the write commits) makes every listening
 *   instance drop that user's entries: another instance refuses a revoked
 *   session once the notice arrives (milliseconds; docs/SCALING.md);
 * - while the listener is down, nothing is served from memory, and it comes
 *   back empty (notices sent meanwhile are lost);
 * - a lookup racing with any invalidation is answered but not kept.
 *
 * Unknown tokens are never kept (a spray of them must not evict real ones).
 */
export function withPostgresSessionCache<T extends AuthStore>(
  store: T,
  listener: Pick<SessionChangeListener, "up" | "close">,
): SessionCache<T> & { onChange: (change: SessionChange) => void; reset: () => void } {
  const alsoOnReset: Array<() => void> = [];
  const entries = new Map<string, SessionLookup>();
  const byUser = new Map<number, Set<string>>();
  /** Bumped by every invalidation: a lookup that saw it change is not kept. */
  let generation = 0;

  const reset = () => {
    generation++;
    entries.clear();
    byUser.clear();
    for (const forget of alsoOnReset) forget();
  };

  const onChange = (change: SessionChange) => {
    if (change === "everything") return reset();
    generation++;
    for (const userId of change.userIds) {
      const tokens = byUser.get(userId);
      if (!tokens) continue;
      for (const tokenHash of tokens) entries.delete(tokenHash);
      byUser.delete(userId);
    }
  };

  async function findSessionByTokenHash(tokenHash: string): Promise<SessionLookup | null> {
    if (!listener.up) return store.findSessionByTokenHash(tokenHash);
    const cached = entries.get(tokenHash);
    if (cached !== undefined) return cached;
    const seen = generation;
    const found = await store.findSessionByTokenHash(tokenHash);
    if (!found || seen !== generation || !listener.up) return found;
    if (entries.size >= MAX_CACHED_SESSIONS) reset();
    entries.set(tokenHash, found);
    const userId = found.user.id;
    const tokens = byUser.get(userId) ?? new Set<string>();
    tokens.add(tokenHash);
    byUser.set(userId, tokens);
    return found;
  }

  async function close(): Promise<void> {
    await listener.close();
    await store.close();
  }

  const cached = invalidatingWrites(store, INVALIDATING_METHODS, reset, {
    findSessionByTokenHash,
    close,
  });
  const invalidating = <S extends object>(other: S, names: ReadonlySet<string>) =>
    invalidatingWrites(other, names, reset);
  return {
    store: cached,
    invalidating,
    onChange,
    reset,
    alsoForget: (forget) => alsoOnReset.push(forget),
  };
}
