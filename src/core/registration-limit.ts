import { addressBucket } from "./address-bucket.js";
import { ThrottledError } from "./errors.js";
import type { AuthSettings } from "./settings.js";
import { countWithinLimits, type ThrottleStore } from "./throttle.js";

type RegistrationLimitPolicy = Pick<
  AuthSettings,
  "registrationMaxPerIp" | "registrationMaxTotal" | "registrationWindow"
>;

/** Too many registrations from this address, or in all, within the window. */
export class RegistrationThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many registrations; try again later", retryAfterMs, "registration");
  }
}

/**
 * Caps registrations per client address and overall in a fixed window, counted
 * before any password is hashed: each registration costs a hash (~200 ms of a
 * core at bcrypt cost 12), so an unlimited flood from one address was enough
 * to take the service's hashing capacity. The counters live in the throttle
 * store (database or Redis), so every instance shares them.
 */
export class RegistrationLimit {
  readonly #store: ThrottleStore;
  readonly #policy: RegistrationLimitPolicy;

  constructor(store: ThrottleStore, policy: RegistrationLimitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Counts one registration. @throws RegistrationThrottledError past either limit. */
  async hit(ip: string | null | undefined, now: Date): Promise<void> {
    const { registrationMaxPerIp, registrationMaxTotal, registrationWindow } = this.#policy;
    const limits: Array<[string, number]> = [["register-all", registrationMaxTotal]];
    if (ip) limits.unshift([`register-ip:${addressBucket(ip)}`, registrationMaxPerIp]);
    const retryAfterMs = await countWithinLimits(this.#store, limits, now, registrationWindow);
    if (retryAfterMs !== null) throw new RegistrationThrottledError(retryAfterMs);
  }
}
