import { AsyncLocalStorage } from "node:async_hooks";

/**
 * One deadline per request for all of its database work. The HTTP layer
 * opens a scope when a request arrives (DATABASE_TIMEOUT from then); the
 * database layer reads what is left of it for each wait: a pooled
 * connection, a query, SQLite's write lock. Per-operation timeouts alone
 * added up (a wait for the pool, then a query of its own: 9.1 s with a 5 s
 * setting), so the scope is the request's, not the statement's.
 *
 * It lives outside src/http and src/db because both use it and neither may
 * import the other.
 */
const scope = new AsyncLocalStorage<{ at: number }>();

/** Runs `work` (and everything it starts) under a deadline at `at` (ms since the epoch). */
export function runWithDeadline<T>(at: number, work: () => T): T {
  return scope.run({ at }, work);
}

/**
 * Runs `work` outside any request's deadline: for work started on behalf of
 * several requests (a group of writes), which must not inherit the scope of
 * the one that happened to start it.
 */
export function outsideAnyDeadline<T>(work: () => T): T {
  return scope.exit(work);
}

/**
 * Milliseconds left before the current deadline (0 or less: passed), or
 * `fallbackMs` outside any scope (the CLI, the library, background work).
 */
export function msLeft(fallbackMs: number): number {
  const current = scope.getStore();
  return current ? current.at - Date.now() : fallbackMs;
}

/** Raised instead of waiting past the deadline; the store maps it to 503. */
export class DeadlineExceededError extends Error {
  readonly code = "ETIMEDOUT";

  constructor(waitingFor: string) {
    super(`request deadline passed while waiting for ${waitingFor}`);
    this.name = "DeadlineExceededError";
  }
}
