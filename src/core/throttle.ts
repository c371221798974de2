import { addressBucket } from "./address-bucket.js";
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

/**
 * Counts one request under each key, in order, against its maximum (0: no
 * limit), in a fixed window. Stops at the first key past its maximum, so a
 * refused request spends none of the wider allowances after it.
 * @returns how long until that key's window closes (ms), or null when every key is within.
 */
export async function countWithinLimits(
  store: ThrottleStore,
  limits: ReadonlyArray<readonly [key: string, max: number]>,
  now: Date,
  windowMs: number,
): Promise<number | null> {
  for (const [key, max] of limits) {
    if (max === 0) continue;
    const count = await store.recordFailure(key, now, windowMs);
    if (count.failures > max) return count.windowEndsAt.getTime() - now.getTime();
  }
  return null;
}

export type ThrottlePolicy = Pick<
  AuthSettings,
  | "loginMaxFailures"
  | "loginAccountMaxFailures"
  | "loginFailureWindow"
  | "loginLockoutBase"
  | "loginLockoutMax"
  | "loginIpMaxFailures"
  | "loginIpWindow"
>;

/** Too many failed logins for this account or from this address; retry after `retryAfterMs`. */
export class LoginThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many failed login attempts; try again later", retryAfterMs, "login");
  }
}

/**
 * The lock that follows the n-th consecutive failure under a key whose limit is
 * `threshold`: none below it, then the base delay, doubling with each further
 * failure, up to the maximum (1 s, 2 s, 4 s ... 15 min with the defaults).
 */
export function lockEnd(
  failures: number,
  threshold: number,
  now: Date,
  policy: ThrottlePolicy,
): Date | null {
  if (threshold === 0 || failures < threshold) return null;
  const doublings = Math.min(failures - threshold, 40);
  const delay = Math.min(policy.loginLockoutBase * 2 ** doublings, policy.loginLockoutMax);
  return new Date(now.getTime() + delay);
}

/** An address that reached its limit is locked until its counting window closes. */
export function ipLockEnd(count: FailureCount, policy: ThrottlePolicy): Date | null {
  if (policy.loginIpMaxFailures === 0 || count.failures < policy.loginIpMaxFailures) return null;
  return count.windowEndsAt;
}

/**
 * Login throttling in three scopes (OWASP's "Blocking Brute Force Attacks",
 * NIST 800-63B 5.2.2), so that an attacker cannot deny an owner their account:
 * - one account from one address: locked after loginMaxFailures (10), with
 *   doubling locks. Guessing from one address stops there, and locks only
 *   that address out of that account: the owner, elsewhere, logs in.
 * - one account from every address: locked after loginAccountMaxFailures
 *   (100, NIST's ceiling), for a guesser spread over many addresses. Only a
 *   distributed attack reaches it; a completed password reset lifts it.
 * - one address over every account: locked for the rest of its window after
 *   loginIpMaxFailures, against spraying one password over many accounts.
 * Accounts are keyed by their normalized email whether or not it is
 * registered, so a lock never tells which emails exist. Locks are checked
 * before any password hash is computed, so a locked attempt costs nothing.
 */
export class LoginThrottle {
  readonly #store: ThrottleStore;
  readonly #policy: ThrottlePolicy;

  constructor(store: ThrottleStore, policy: ThrottlePolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** @throws LoginThrottledError while any scope of this attempt is locked. */
  async assertAllowed(email: string, ip: string | null | undefined, now: Date): Promise<void> {
    const keys = [accountFromKey(email, ip), accountKey(email)];
    if (ip) keys.push(ipKey(ip));
    const until = await this.#store.lockedUntil(keys, now);
    if (until) throw new LoginThrottledError(until.getTime() - now.getTime());
  }

  async recordFailure(email: string, ip: string | null | undefined, now: Date): Promise<void> {
    await this.reserveAttempt(email, ip, now);
    await this.recordAddressFailure(ip, now);
  }

  /**
   * Counts an attempt against the account (from this address, and from all)
   * before it is checked, locking at the limits as a failure would: of many
   * attempts sent at once, only those within the limits go on to be checked
   * (counting after the check let every request of a parallel burst pass the
   * lock test first). A success clears the count (clearAccount).
   * @returns false when this attempt is past a limit: refuse it unchecked.
   */
  async reserveAttempt(email: string, ip: string | null | undefined, now: Date): Promise<boolean> {
    const policy = this.#policy;
    const window = policy.loginFailureWindow;
    const pair = accountFromKey(email, ip);
    const pairCount = await this.#store.recordFailure(pair, now, window);
    const pairLock = lockEnd(pairCount.failures, policy.loginMaxFailures, now, policy);
    if (pairLock) await this.#store.lock(pair, pairLock);
    const account = accountKey(email);
    const accountCount = await this.#store.recordFailure(account, now, window);
    const accountLock = lockEnd(accountCount.failures, policy.loginAccountMaxFailures, now, policy);
    if (accountLock) await this.#store.lock(account, accountLock);
    const within = (count: number, max: number) => max === 0 || count <= max;
    return (
      within(pairCount.failures, policy.loginMaxFailures) &&
      within(accountCount.failures, policy.loginAccountMaxFailures)
    );
  }

  /** The address's share of a failure (an attempt reserveAttempt counted turned out wrong). */
  async recordAddressFailure(ip: string | null | undefined, now: Date): Promise<void> {
    const policy = this.#policy;
    if (!ip) return;
    const address = ipKey(ip);
    const ipCount = await this.#store.recordFailure(address, now, policy.loginIpWindow);
    const ipLock = ipLockEnd(ipCount, policy);
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

  /**
   * A successful login, or a completed password reset, ends the account's run
   * of failures: its own, and this address's on it. Other addresses' runs on
   * the account stay (an attacker's locks are not lifted by the owner's login).
   */
  async clearAccount(email: string, ip?: string | null): Promise<void> {
    // Side by side: on PostgreSQL or Redis, one round trip of waiting instead of two.
    await Promise.all([
      this.#store.clear(accountKey(email)),
      this.#store.clear(accountFromKey(email, ip)),
    ]);
  }
}

function accountKey(email: string): string {
  return `account:${normalizeEmail(email)}`;
}

function accountFromKey(email: string, ip: string | null | undefined): string {
  return `account-from:${ip ? addressBucket(ip) : ""}|${normalizeEmail(email)}`;
}

function ipKey(ip: string): string {
  return `ip:${addressBucket(ip)}`;
}
