import { AuthError } from "./errors.js";
import { FairQueue } from "./fair-queue.js";

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
 *
 * Within a lane, waiters are served round robin by `key` (the client's
 * address bucket; see FairQueue): a login flood from one address no longer
 * holds every other address's logins behind its whole backlog.
 */
export class ConcurrencyLimiter {
  readonly #maxInFlight: number;
  readonly #otherMaxInFlight: number;
  readonly #waiting: Record<Lane, FairQueue>;
  #inFlight = 0;
  #otherInFlight = 0;

  constructor(maxInFlight: number, maxQueued: number) {
    this.#maxInFlight = maxInFlight;
    this.#otherMaxInFlight = Math.max(1, Math.floor(maxInFlight / 2));
    this.#waiting = { login: new FairQueue(maxQueued), other: new FairQueue(maxQueued) };
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#waiting.login.size + this.#waiting.other.size;
  }

  /** True when run() in this lane, for this key, would refuse now: no slot for it and no room in its queue. */
  isFull(lane: Lane = "login", key = ""): boolean {
    return !this.#canStart(lane) && this.#waiting[lane].isFullFor(key);
  }

  async run<T>(task: () => Promise<T>, lane: Lane = "login", key = ""): Promise<T> {
    if (this.#canStart(lane)) {
      this.#start(lane);
    } else {
      // #dispatch() counts the slot as taken before it starts us.
      await new Promise<void>((start, refuse) => {
        const queued = this.#waiting[lane].push(key, {
          start,
          refuse: () => refuse(new ServiceBusyError()),
        });
        if (!queued) refuse(new ServiceBusyError());
      });
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
    return this.#otherInFlight < this.#otherMaxInFlight && this.#waiting.login.size === 0;
  }

  #start(lane: Lane): void {
    this.#inFlight++;
    if (lane === "other") this.#otherInFlight++;
  }

  /** Hands freed slots to waiters: logins first, then other work within its share. */
  #dispatch(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const lane: Lane | null =
        this.#waiting.login.size > 0
          ? "login"
          : this.#waiting.other.size > 0 && this.#otherInFlight < this.#otherMaxInFlight
            ? "other"
            : null;
      if (lane === null) return;
      this.#start(lane);
      this.#waiting[lane].shift()?.start();
    }
  }
}
