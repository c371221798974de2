import { AuthError } from "./errors.js";

/** Every password-hashing slot is taken and the queue is full; retry in a moment. */
export class ServiceBusyError extends AuthError {
  constructor() {
    super("busy", "too many logins in progress, try again in a moment");
  }
}

/**
 * At most `maxInFlight` tasks run at once; up to `maxQueued` more wait their
 * turn in order; past that, run() refuses at once with ServiceBusyError. For
 * password hashes: they occupy libuv's thread pool and a core each, so letting
 * more run than there are cores only lengthens every one of them, and an
 * unbounded queue turns a login storm into minutes of latency for everyone.
 */
export class ConcurrencyLimiter {
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #waiting: Array<() => void> = [];
  #inFlight = 0;

  constructor(maxInFlight: number, maxQueued: number) {
    this.#maxInFlight = maxInFlight;
    this.#maxQueued = maxQueued;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** True when run() would refuse now: every slot busy and the queue full. */
  get full(): boolean {
    return this.#inFlight >= this.#maxInFlight && this.#waiting.length >= this.#maxQueued;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#maxInFlight) {
      if (this.#waiting.length >= this.#maxQueued) throw new ServiceBusyError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so inFlight stays counted.
      if (next) next();
      else this.#inFlight--;
    }
  }
}
