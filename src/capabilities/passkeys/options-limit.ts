import { addressBucket } from "../../core/address-bucket.js";
import { ThrottledError } from "../../core/errors.js";
import type { AuthSettings } from "../../core/settings.js";
import { countWithinLimits, type ThrottleStore } from "../../core/throttle.js";

type OptionsLimitPolicy = Pick<AuthSettings, "passkeyOptionsMaxPerIp" | "passkeyOptionsWindow">;

/** Too many passkey sign-in options asked from this address within the window. */
export class PasskeyOptionsThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many passkey sign-in requests; try again later", retryAfterMs);
  }
}

/**
 * Caps the passkey sign-in options one client address may ask for in a fixed
 * window. The route needs no account, and each answer is a stored challenge
 * (a row until it is used or expires): without a cap one address could fill
 * the table. Counted in the shared request counters (database or Redis), as
 * registrations and mailed links are, so every instance shares them.
 */
export class PasskeyOptionsLimit {
  readonly #store: ThrottleStore;
  readonly #policy: OptionsLimitPolicy;

  constructor(store: ThrottleStore, policy: OptionsLimitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Counts one request. @throws PasskeyOptionsThrottledError past the limit. */
  async hit(ip: string | null | undefined, now: Date): Promise<void> {
    const { passkeyOptionsMaxPerIp: max, passkeyOptionsWindow: windowMs } = this.#policy;
    // 0: no limit, and no statement spent on counting.
    if (!ip || max === 0) return;
    const limits: Array<[string, number]> = [[`passkey-options-ip:${addressBucket(ip)}`, max]];
    const retryAfterMs = await countWithinLimits(this.#store, limits, now, windowMs);
    if (retryAfterMs !== null) throw new PasskeyOptionsThrottledError(retryAfterMs);
  }
}
