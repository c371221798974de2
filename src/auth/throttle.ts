import { ThrottledError } from "./errors.js";
import type { AuthSettings } from "./settings.js";
import { normalizeEmail } from "./user.js";

/** Failures counted under one key, and when its counting window closes. */
export interface FailureCount {
  failures: number;
  windowEndsAt: Date;
}

/**
 * Where throttling state lives: the database by default (so every instance
 * over it shares it), or Redis. Never process memory alone.
 */
export interface ThrottleStore {
  /** The latest lock end among these keys, or null when none is locked at `now`. */
  lockedUntil(keys: readonly string[], now: Date): Promise<Date | null>;
  /** Counts one failure under the key; a window that has closed starts again at 1. */
  recordFailure(key: string, now: Date, windowMs: number): Promise<FailureCount>;
  lock(key: string, until: Date): Promise<void>;
  clear(key: string): Promise<void>;
}

export type ThrottlePolicy = Pick<
  AuthSettings,
  | "loginMaxFailures"
  | "loginFailureWindow"
  | "loginLockoutBase"
  | "loginLockoutMax"
  | "loginIpMaxFailures"
  | "loginIpWindow"
>;

/** Too many failed logins for this account or from this address; retry after `retryAfterMs`. */
export class LoginThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many failed login attempts; try again later", retryAfterMs);
  }
}

/**
 * The lock that follows the n-th consecutive failure of an account: none below
 * the threshold, then the base delay, doubling with each further failure, up to
 * the maximum (1 s, 2 s, 4 s ... 15 min with the defaults).
 */
export function accountLockEnd(failures: number, now: Date, policy: ThrottlePolicy): Date | null {
  if (policy.loginMaxFailures === 0 || failures < policy.loginMaxFailures) return null;
  const doublings = Math.min(failures - policy.loginMaxFailures, 40);
  const delay = Math.min(policy.loginLockoutBase * 2 ** doublings, policy.loginLockoutMax);
  return new Date(now.getTime() + delay);
}

/** An address that reached its limit is locked until its counting window closes. */
export function ipLockEnd(count: FailureCount, policy: ThrottlePolicy): Date | null {
  if (policy.loginIpMaxFailures === 0 || count.failures < policy.loginIpMaxFailures) return null;
  return count.windowEndsAt;
}

/**
 * Per-account and per-address login throttling. Accounts are keyed by their
 * normalized email whether or not it is registered, so a lock never tells an
 * attacker which emails exist. Locks are checked before any password hash is
 * computed, so a locked account costs nothing to refuse.
 */
export class LoginThrottle {
  readonly #store: ThrottleStore;
  readonly #policy: ThrottlePolicy;

  constructor(store: ThrottleStore, policy: ThrottlePolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** @throws LoginThrottledError while the account or the address is locked. */
  async assertAllowed(email: string, ip: string | null | undefined, now: Date): Promise<void> {
    const until = await this.#store.lockedUntil(keysOf(email, ip), now);
    if (until) throw new LoginThrottledError(until.getTime() - now.getTime());
  }

  async recordFailure(email: string, ip: string | null | undefined, now: Date): Promise<void> {
    const account = accountKey(email);
    const accountCount = await this.#store.recordFailure(
      account,
      now,
      this.#policy.loginFailureWindow,
    );
    const accountLock = accountLockEnd(accountCount.failures, now, this.#policy);
    if (accountLock) await this.#store.lock(account, accountLock);
    if (!ip) return;
    const address = ipKey(ip);
    const ipCount = await this.#store.recordFailure(address, now, this.#policy.loginIpWindow);
    const ipLock = ipLockEnd(ipCount, this.#policy);
    if (ipLock) await this.#store.lock(address, ipLock);
  }

  /**
   * Counts a wrong current password given by one session (re-authentication
   * before a sensitive change); how many within the failure window.
   */
  async recordReauthenticationFailure(sessionPublicId: string, now: Date): Promise<number> {
    const key = `reauth:${sessionPublicId}`;
    return (await this.#store.recordFailure(key, now, this.#policy.loginFailureWindow)).failures;
  }

  async clearReauthentication(sessionPublicId: string): Promise<void> {
    await this.#store.clear(`reauth:${sessionPublicId}`);
  }

  /** A successful login or a password reset ends the account's run of failures. */
  async clearAccount(email: string): Promise<void> {
    await this.#store.clear(accountKey(email));
  }
}

function accountKey(email: string): string {
  return `account:${normalizeEmail(email)}`;
}

function ipKey(ip: string): string {
  return `ip:${ip}`;
}

function keysOf(email: string, ip: string | null | undefined): string[] {
  return ip ? [accountKey(email), ipKey(ip)] : [accountKey(email)];
}
