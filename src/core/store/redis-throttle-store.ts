import { Redis } from "ioredis";
import { ServiceUnavailableError } from "../errors.js";
import type { FailureCount, ThrottleStore } from "../throttle.js";

/**
 * INCR and the window's expiry in one atomic step, so concurrent failures on
 * several instances are all counted and the first one opens the window.
 * Returns the count and the milliseconds left in the window.
 */
const RECORD_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

export interface RedisThrottleOptions {
  url: string;
  /** Prepended to every key, so several services (or test runs) can share one Redis. */
  keyPrefix?: string;
  /** Longest wait for Redis before a login gets 503. */
  timeoutMs?: number;
}

/**
 * Throttling state in Redis (REDIS_URL), for deployments that keep it out of
 * the database. Counters expire by themselves with their window, locks at their
 * end. While Redis is unreachable, logins fail closed with 503.
 */
export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: Redis;

  constructor({ url, keyPrefix = "auth:throttle:", timeoutMs = 2000 }: RedisThrottleOptions) {
    this.#redis = new Redis(url, {
      keyPrefix,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    // Reconnection is automatic; failures reach each command as a rejection.
    this.#redis.on("error", () => {});
  }

  async connect(): Promise<void> {
    await this.#guard(() => this.#redis.connect());
  }

  async lockedUntil(keys: readonly string[], now: Date): Promise<Date | null> {
    // No key, no lock (MGET of no key is an error, which would read as Redis down).
    if (keys.length === 0) return null;
    const values = await this.#guard(() => this.#redis.mget(keys.map((key) => `lock:${key}`)));
    const latest = Math.max(0, ...values.map((value) => Number(value ?? 0)));
    return latest > now.getTime() ? new Date(latest) : null;
  }

  async recordFailure(key: string, now: Date, windowMs: number): Promise<FailureCount> {
    const [count, ttl] = (await this.#guard(() =>
      this.#redis.eval(RECORD_FAILURE, 1, `count:${key}`, String(windowMs)),
    )) as [number, number];
    return { failures: count, windowEndsAt: new Date(now.getTime() + Math.max(ttl, 0)) };
  }

  async lock(key: string, until: Date): Promise<void> {
    await this.#guard(() =>
      this.#redis.set(`lock:${key}`, String(until.getTime()), "PXAT", until.getTime()),
    );
  }

  async clear(key: string): Promise<void> {
    await this.#guard(() => this.#redis.del(`count:${key}`, `lock:${key}`));
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      throw new ServiceUnavailableError("throttling store unavailable, try again shortly");
    }
  }
}
