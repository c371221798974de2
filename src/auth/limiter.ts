import { AuthError } from "./errors.js";

/** Every password-hashing slot is taken and the queue is full; retry in a moment. */
export class ServiceBusyError extends AuthError {
  constructor() {
    super("busy", "too many logins in progress, try again in a moment");
  }
}

/**
 * Which work a task is: `login` (checking a password to open a session) or
 * `other` (hashing a new password at registration, reset or change, and
 * re-checking the current one before a change).
 */
export type Lane = "login" | "other";

/**
 * At most `maxInFlight` tasks run at once; up to `maxQueued` more wait their
 * turn in order, in each lane; past that, run() refuses at once with
 * ServiceBusyError. For password hashes: they occupy libuv's thread pool and a
 * core each, so letting more run than there are cores only lengthens every one
 * of them, and an unbounded queue turns a login storm into minutes of latency
 * for everyone.
 *
 * The lanes keep a flood of one kind of work from taking the capacity of the
 * other: `other` tasks hold at most `otherMaxInFlight` slots (half of them,
 * rounded down, at least one), and a freed slot goes to a waiting login first.
 * So a registration flood from one address fills its own queue and gets 503s,
 * while logins still find a slot (measured without the lanes: 14 of 14 logins
 * answered 503 during such a flood).
 */
export class ConcurrencyLimiter {
  readonly #maxInFlight: number;
  readonly #otherMaxInFlight: number;
  readonly #maxQueued: number;
  readonly #waiting: Record<Lane, Array<() => void>> = { login: [], other: [] };
  #inFlight = 0;
  #otherInFlight = 0;

  constructor(maxInFlight: number, maxQueued: number) {
    this.#maxInFlight = maxInFlight;
    this.#otherMaxInFlight = Math.max(1, Math.floor(maxInFlight / 2));
    this.#maxQueued = maxQueued;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#waiting.login.length + this.#waiting.other.length;
  }

  /** True when run() in this lane would refuse now: no slot for it and its queue full. */
  isFull(lane: Lane = "login"): boolean {
    return !this.#canStart(lane) && this.#waiting[lane].length >= this.#maxQueued;
  }

  async run<T>(task: () => Promise<T>, lane: Lane = "login"): Promise<T> {
    if (this.#canStart(lane)) {
      this.#start(lane);
    } else {
      if (this.#waiting[lane].length >= this.#maxQueued) throw new ServiceBusyError();
      // #dispatch() counts the slot as taken before it wakes us.
      await new Promise<void>((resolve) => this.#waiting[lane].push(resolve));
    }
    try {
      return await task();
    } finally {
      this.#inFlight--;
      if (lane === "other") this.#otherInFlight--;
      this.#dispatch();
    }
  }

  #canStart(lane: Lane): boolean {
    if (this.#inFlight >= this.#maxInFlight) return false;
    if (lane === "login") return true;
    // A login that is already waiting goes first.
    return this.#otherInFlight < this.#otherMaxInFlight && this.#waiting.login.length === 0;
  }

  #start(lane: Lane): void {
    this.#inFlight++;
    if (lane === "other") this.#otherInFlight++;
  }

  /** Hands freed slots to waiters: logins first, then other work within its share. */
  #dispatch(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const lane: Lane | null =
        this.#waiting.login.length > 0
          ? "login"
          : this.#waiting.other.length > 0 && this.#otherInFlight < this.#otherMaxInFlight
            ? "other"
            : null;
      if (lane === null) return;
      this.#start(lane);
      this.#waiting[lane].shift()?.();
    }
  }
}
