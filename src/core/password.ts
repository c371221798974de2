import { randomBytes } from "node:crypto";
import * as argon2 from "@node-rs/argon2";
import * as bcrypt from "@node-rs/bcrypt";
import type { AuthEventListener } from "./events.js";
import { ConcurrencyLimiter, type Lane, ServiceBusyError } from "./limiter.js";
import type { AuthSettings, PasswordHashAlgorithm } from "./settings.js";

/** bcrypt reads only the first 72 bytes of a password; we never let it ignore the rest. */
export const BCRYPT_MAX_BYTES = 72;

/** True when bcrypt would read all of this password (at most 72 UTF-8 bytes). */
export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, "utf8") <= BCRYPT_MAX_BYTES;
}

const BCRYPT_PREFIXES = ["$2a$", "$2b$", "$2y$"];
const ARGON2ID_PREFIX = "$argon2id$";

type HasherSettings = Pick<
  AuthSettings,
  | "passwordHash"
  | "bcryptCost"
  | "argon2MemoryCost"
  | "argon2TimeCost"
  | "maxConcurrentHashes"
  | "hashQueueLimit"
>;

/**
 * Passwords are compared in Unicode NFKC form (NIST 800-63B 5.1.1.2), so the
 * same password typed on two keyboards that compose characters differently
 * still matches. ASCII is unchanged, so hashes written by the original service
 * verify as they are.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

export function algorithmOf(hash: string | null): PasswordHashAlgorithm | null {
  if (hash === null) return null;
  if (BCRYPT_PREFIXES.some((prefix) => hash.startsWith(prefix))) return "bcrypt";
  if (hash.startsWith(ARGON2ID_PREFIX)) return "argon2id";
  return null;
}

/**
 * Hashes and verifies passwords. The native libraries run on libuv's thread
 * pool, so a 200 ms bcrypt never blocks the event loop; at most
 * maxConcurrentHashes run at once, hashQueueLimit more wait, and past that
 * hash() and verify() throw ServiceBusyError (503) at once.
 */
export class PasswordHasher {
  readonly #settings: HasherSettings;
  readonly #limiter: ConcurrencyLimiter;
  #dummyHash: Promise<string> | undefined;

  readonly #onEvent: AuthEventListener | undefined;

  constructor(settings: HasherSettings, onEvent?: AuthEventListener) {
    this.#settings = settings;
    this.#limiter = new ConcurrencyLimiter(settings.maxConcurrentHashes, settings.hashQueueLimit);
    this.#onEvent = onEvent;
  }

  /**
   * Throws ServiceBusyError when a hash could not even be queued now, so a
   * caller can refuse before doing any other work for a request that would be
   * refused anyway.
   */
  assertCapacity(lane: Lane = "login", key = ""): void {
    if (this.#limiter.isFull(lane, key)) throw new ServiceBusyError();
  }

  /**
   * Runs other work as costly as a hash (scrypt of recovery codes) under the
   * same limit and lanes, so it cannot crowd out logins or pile up on the
   * thread pool. @throws ServiceBusyError when the lane's queue is full.
   */
  limited<T>(task: () => Promise<T>, lane: Lane = "login"): Promise<T> {
    return this.#limiter.run(task, lane);
  }

  /** Hashes running, and hashes waiting for a slot (for metrics and tests). */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.#limiter.inFlight, queued: this.#limiter.queued };
  }

  /** False for a password the configured algorithm cannot hash whole (bcrypt past 72 bytes). */
  canHash(password: string): boolean {
    return this.#settings.passwordHash !== "bcrypt" || fitsBcrypt(normalizePassword(password));
  }

  /**
   * Hashes with the configured algorithm. Check it against the PasswordPolicy
   * first. New passwords are `other` work: they never take a login's slot.
   */
  async hash(password: string, lane: Lane = "other"): Promise<string> {
    const normalized = normalizePassword(password);
    if (this.#settings.passwordHash === "argon2id") {
      const options = {
        memoryCost: this.#settings.argon2MemoryCost,
        timeCost: this.#settings.argon2TimeCost,
        parallelism: 1,
      };
      return this.#run("hash", lane, () => argon2.hash(normalized, options));
    }
    const options = { cost: this.#settings.bcryptCost, rejectLongPasswords: true };
    return this.#run("hash", lane, () => bcrypt.hash(normalized, options));
  }

  /**
   * True when the password matches the stored hash, whatever algorithm wrote it.
   * A password longer than bcrypt's 72 bytes never matches a bcrypt hash, since
   * bcrypt would otherwise accept any password sharing its first 72 bytes.
   * A login's check by default; re-checking before a change is `other` work.
   */
  async verify(
    password: string,
    storedHash: string | null,
    lane: Lane = "login",
    key = "",
  ): Promise<boolean> {
    // No password on the account: no password matches, after the same work.
    if (storedHash === null) {
      await this.verify(password, await this.dummyHash(), lane, key);
      return false;
    }
    const normalized = normalizePassword(password);
    if (await this.#verifyExact(normalized, storedHash, lane, key)) return true;
    // Hashes imported from elsewhere were made from the bytes as typed; a
    // second try only happens for non-NFKC input, which ASCII never is.
    return normalized !== password && this.#verifyExact(password, storedHash, lane, key);
  }

  /**
   * Costs the same as verifying a real user's password, for unknown emails, so
   * the answer time does not tell whether an email is registered.
   */
  async verifyDummy(password: string, key = ""): Promise<false> {
    await this.verify(password, await this.dummyHash(), "login", key);
    return false;
  }

  /** A hash of a random secret made with the current settings, computed once. */
  dummyHash(): Promise<string> {
    this.#dummyHash ??= this.hash(randomBytes(16).toString("base64url"));
    return this.#dummyHash;
  }

  /** True when the stored hash was made with another algorithm or weaker parameters. */
  needsRehash(storedHash: string | null): boolean {
    if (storedHash === null) return false;
    const algorithm = algorithmOf(storedHash);
    if (algorithm !== this.#settings.passwordHash) return true;
    try {
      if (algorithm === "bcrypt") {
        return bcrypt.parseOptions(storedHash).cost !== this.#settings.bcryptCost;
      }
      const options = argon2.parseOptions(storedHash);
      return (
        options.memoryCost !== this.#settings.argon2MemoryCost ||
        options.timeCost !== this.#settings.argon2TimeCost
      );
    } catch {
      return true;
    }
  }

  async #verifyExact(
    password: string,
    storedHash: string,
    lane: Lane,
    key: string,
  ): Promise<boolean> {
    const algorithm = algorithmOf(storedHash);
    if (algorithm === "bcrypt") {
      if (!fitsBcrypt(password)) return false;
      return this.#run("verify", lane, () => bcrypt.verify(password, storedHash), key);
    }
    if (algorithm === "argon2id") {
      // A malformed stored hash is a mismatch; a full queue (ServiceBusyError) is not.
      return this.#run(
        "verify",
        lane,
        () => argon2.verify(storedHash, password).catch(() => false),
        key,
      );
    }
    return false;
  }

  /**
   * Runs a native hash under the limiter (waiting in `key`'s turn, the
   * client's address bucket), reporting how long it took once it had a slot.
   */
  #run<T>(operation: "hash" | "verify", lane: Lane, work: () => Promise<T>, key = ""): Promise<T> {
    return this.#limiter.run(
      async () => {
        const started = performance.now();
        try {
          return await work();
        } finally {
          this.#onEvent?.({
            type: "hash",
            operation,
            seconds: (performance.now() - started) / 1000,
          });
        }
      },
      lane,
      key,
    );
  }
}
