import { addressBucket } from "./address-bucket.js";
import type { ThrottledError } from "./errors.js";
import { countWithinLimits, type ThrottleStore } from "./throttle.js";

export interface AddressLimitPolicy {
  /** The counter's name; the address's bucket is added to it. */
  name: string;
  /** Requests per address within the window (0: no limit). */
  max: number;
  windowMs: number;
  /** The error past the limit, told how long until the window closes. */
  refuse(retryAfterMs: number): ThrottledError;
}

/**
 * Caps how many times one client address may do one thing in a fixed window,
 * for requests anyone may send that cost a stored row or could be guessed.
 * Counted in the shared request counters (database or Redis), as
 * registrations and mailed links are, so every instance shares them.
 */
export class AddressLimit {
  readonly #store: ThrottleStore;
  readonly #policy: AddressLimitPolicy;

  constructor(store: ThrottleStore, policy: AddressLimitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Counts one request. @throws the policy's error past the limit. */
  async hit(ip: string | null | undefined, now: Date): Promise<void> {
    const { name, max, windowMs, refuse } = this.#policy;
    // 0: no limit, and no statement spent on counting.
    if (!ip || max === 0) return;
    const limits: Array<[string, number]> = [[`${name}:${addressBucket(ip)}`, max]];
    const retryAfterMs = await countWithinLimits(this.#store, limits, now, windowMs);
    if (retryAfterMs !== null) throw refuse(retryAfterMs);
  }
}
