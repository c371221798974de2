import { ServiceUnavailableError } from "./errors.js";
import type { FailureCount, ThrottleStore } from "./throttle.js";

/**
 * Request counters that keep counting while their store (Redis) is
 * unreachable: each call that the primary store cannot answer goes to the
 * fallback (the database's login_throttle table) instead of failing.
 *
 * Used by the limits that guard a cost rather than a secret: registrations
 * (password hashes) and reset and verification requests (mail). During an
 * outage their counts start again from zero in the database, so a client
 * can get at most one more window's allowance; signing up and resetting a
 * password keep working. Login throttling does not use it: its locks live
 * in Redis, and forgetting them during an outage would hand a guesser fresh
 * attempts, so logins fail closed (503) instead.
 */
export class CountersWithFallback implements ThrottleStore {
  readonly #primary: ThrottleStore;
  readonly #fallback: ThrottleStore;

  constructor(primary: ThrottleStore, fallback: ThrottleStore) {
    this.#primary = primary;
    this.#fallback = fallback;
  }

  lockedUntil(keys: readonly string[], now: Date): Promise<Date | null> {
    return this.#either((store) => store.lockedUntil(keys, now));
  }

  recordFailure(key: string, now: Date, windowMs: number): Promise<FailureCount> {
    return this.#either((store) => store.recordFailure(key, now, windowMs));
  }

  lock(key: string, until: Date): Promise<void> {
    return this.#either((store) => store.lock(key, until));
  }

  clear(key: string): Promise<void> {
    return this.#either((store) => store.clear(key));
  }

  async #either<T>(call: (store: ThrottleStore) => Promise<T>): Promise<T> {
    try {
      return await call(this.#primary);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      return call(this.#fallback);
    }
  }
}
