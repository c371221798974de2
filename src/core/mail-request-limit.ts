import { addressBucket } from "./address-bucket.js";
import { ThrottledError } from "./errors.js";
import type { AuthSettings } from "./settings.js";
import { countWithinLimits, type ThrottleStore } from "./throttle.js";
import { normalizeEmail } from "./user.js";

type ResetLimitPolicy = Pick<
  AuthSettings,
  "resetMaxPerEmail" | "resetMaxPerEmailAndIp" | "resetMaxPerIp" | "resetRequestWindow"
>;

/** Too many reset requests for this email or from this address. */
export class ResetThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many password reset requests; try again later", retryAfterMs, "reset");
  }
}

/** Too many verification links asked for this email or from this address. */
export class VerificationThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many verification requests; try again later", retryAfterMs, "verification");
  }
}

/**
 * What the limits count an address as: the mailbox it reaches. Many providers
 * deliver `name+tag@` to `name@`, and some ignore dots in the name, so
 * `v.ictim+1@` and `victim+2@` each starting a quota of their own let one
 * client flood one mailbox. Two distinct addresses that share a key share a
 * quota too, which only makes the limit stricter.
 */
export function mailboxKey(email: string): string {
  const normalized = normalizeEmail(email);
  const at = normalized.lastIndexOf("@");
  if (at <= 0) return normalized;
  const local = normalized.slice(0, at).split("+", 1)[0]?.replaceAll(".", "") ?? "";
  return `${local || normalized.slice(0, at)}${normalized.slice(at)}`;
}

/** Too many email changes asked for this account, to this address, or from this client address. */
export class EmailChangeThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many email change requests; try again later", retryAfterMs, "email_change");
  }
}

/** What a limit counts: reset links, verification links, or email changes. */
export type RequestLimitKind = "reset" | "verify" | "change";

/**
 * Caps reset requests per email, per email from one client address, and per
 * address, in a fixed window, so nobody can flood a mailbox or mail the whole
 * user table. The per-email-and-address cap is below the per-email one, so one
 * address cannot spend an email's whole quota: its owner, asking from
 * elsewhere, still gets links (and the links an attacker's requests mailed
 * stay valid: see Auth.issueResetToken). Emails are counted whether or not
 * they are registered, so the limit tells nothing about which exist. The
 * counters share the login throttle's store (database or Redis) under their
 * own keys: a login lock never blocks a reset. Requests for verification
 * links (`kind` "verify") and email changes (`kind` "change", counted by the
 * new address, plus per account) are held to the same settings under keys of
 * their own.
 */
export class ResetRequestLimit {
  readonly #store: ThrottleStore;
  readonly #policy: ResetLimitPolicy;

  readonly #kind: RequestLimitKind;

  constructor(store: ThrottleStore, policy: ResetLimitPolicy, kind: RequestLimitKind = "reset") {
    this.#store = store;
    this.#policy = policy;
    this.#kind = kind;
  }

  /**
   * Counts one request; `account`, when given, is counted too, under the
   * per-email limit (an email change: one account asking for many addresses).
   * @throws ResetThrottledError (VerificationThrottledError, EmailChangeThrottledError) past any limit.
   */
  async hit(
    email: string,
    ip: string | null | undefined,
    now: Date,
    account?: string,
  ): Promise<void> {
    const { resetMaxPerEmail, resetMaxPerEmailAndIp, resetMaxPerIp, resetRequestWindow } =
      this.#policy;
    const normalized = mailboxKey(email);
    const limits: Array<[string, number]> = [];
    // The narrowest first: a refused request then spends none of the wider quotas.
    if (ip) {
      const bucket = addressBucket(ip);
      limits.push([`${this.#kind}-email-ip:${bucket}|${normalized}`, resetMaxPerEmailAndIp]);
      limits.push([`${this.#kind}-ip:${bucket}`, resetMaxPerIp]);
    }
    limits.push([`${this.#kind}-email:${normalized}`, resetMaxPerEmail]);
    if (account !== undefined) limits.push([`${this.#kind}-${account}`, resetMaxPerEmail]);
    const retryAfterMs = await countWithinLimits(this.#store, limits, now, resetRequestWindow);
    if (retryAfterMs === null) return;
    if (this.#kind === "reset") throw new ResetThrottledError(retryAfterMs);
    if (this.#kind === "verify") throw new VerificationThrottledError(retryAfterMs);
    throw new EmailChangeThrottledError(retryAfterMs);
  }
}
