/** A task waiting for a slot: started with `start`, or turned away with `refuse`. */
export interface Waiter {
  start(): void;
  refuse(): void;
}

/**
 * Waiters grouped by a key (the client's address bucket), served round
 * robin: the next slot goes to the key after the last one served, so a flood
 * from one address waits behind itself, and a login from any other address
 * waits for at most one turn per active address instead of the whole flood.
 *
 * It holds at most `capacity` waiters. When full, a key holding fewer than
 * the largest one takes that key's newest waiter's place (which is refused):
 * one address alone may fill the queue, but never keep others out of it.
 */
export class FairQueue {
  readonly #capacity: number;
  readonly #byKey = new Map<string, Waiter[]>();
  /** Keys with waiters, in serving order. */
  #order: string[] = [];
  #size = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** True when a waiter under `key` would be refused now. */
  isFullFor(key: string): boolean {
    if (this.#size < this.#capacity) return false;
    return this.#largestAbove(this.#countOf(key) + 1) === undefined;
  }

  /** Queues the waiter; false (nothing queued) when full for its key. */
  push(key: string, waiter: Waiter): boolean {
    if (this.#size >= this.#capacity) {
      const crowded = this.#largestAbove(this.#countOf(key) + 1);
      if (crowded === undefined) return false;
      this.#removeNewest(crowded)?.refuse();
    }
    const waiters = this.#byKey.get(key);
    if (waiters) waiters.push(waiter);
    else {
      this.#byKey.set(key, [waiter]);
      this.#order.push(key);
    }
    this.#size++;
    return true;
  }

  /** The next waiter, round robin over the keys; undefined when none waits. */
  shift(): Waiter | undefined {
    const key = this.#order.shift();
    if (key === undefined) return undefined;
    const waiters = this.#byKey.get(key) ?? [];
    const next = waiters.shift();
    if (waiters.length > 0) this.#order.push(key);
    else this.#byKey.delete(key);
    this.#size--;
    return next;
  }

  #countOf(key: string): number {
    return this.#byKey.get(key)?.length ?? 0;
  }

  /** The key with the most waiters, when it has at least `count`. */
  #largestAbove(count: number): string | undefined {
    let largest: string | undefined;
    let most = count - 1;
    for (const [key, waiters] of this.#byKey) {
      if (waiters.length > most) {
        largest = key;
        most = waiters.length;
      }
    }
    return largest;
  }

  #removeNewest(key: string): Waiter | undefined {
    const waiters = this.#byKey.get(key);
    const newest = waiters?.pop();
    if (newest === undefined) return undefined;
    if (waiters?.length === 0) {
      this.#byKey.delete(key);
      this.#order = this.#order.filter((other) => other !== key);
    }
    this.#size--;
    return newest;
  }
}
