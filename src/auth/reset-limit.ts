import { ThrottledError } from "./errors.js";
import type { AuthSettings } from "./settings.js";
import type { ThrottleStore } from "./throttle.js";
import { normalizeEmail } from "./user.js";

type ResetLimitPolicy = Pick<
  AuthSettings,
  "resetMaxPerEmail" | "resetMaxPerIp" | "resetRequestWindow"
>;

/** Too many reset requests for this email or from this address. */
export class ResetThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many password reset requests; try again later", retryAfterMs);
  }
}

/**
 * Caps reset requests per email and per client address in a fixed window, so
 * nobody can flood a mailbox or mail the whole user table. Emails are counted
 * whether or not they are registered, so the limit tells nothing about which
 * exist. The counters share the login throttle's store (database or Redis)
 * under their own keys: a login lock never blocks a reset.
 */
export class ResetRequestLimit {
  readonly #store: ThrottleStore;
  readonly #policy: ResetLimitPolicy;

  constructor(store: ThrottleStore, policy: ResetLimitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Counts one request. @throws ResetThrottledError past either limit. */
  async hit(email: string, ip: string | null | undefined, now: Date): Promise<void> {
    const { resetMaxPerEmail, resetMaxPerIp, resetRequestWindow } = this.#policy;
    const limits: Array<[string, number]> = [
      [`reset-email:${normalizeEmail(email)}`, resetMaxPerEmail],
    ];
    if (ip) limits.push([`reset-ip:${ip}`, resetMaxPerIp]);
    for (const [key, max] of limits) {
      if (max === 0) continue;
      const count = await this.#store.recordFailure(key, now, resetRequestWindow);
      if (count.failures > max) {
        throw new ResetThrottledError(count.windowEndsAt.getTime() - now.getTime());
      }
    }
  }
}
