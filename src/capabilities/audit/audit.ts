import type { AuditEntry, AuditEventName, AuditQuery } from "../../core/audit-log.js";
import type { AuthEvent } from "../../core/events.js";
import { USER_AGENT_MAX_LENGTH } from "../../core/session.js";
import type { EventRecorder, Transaction } from "../../core/unit-of-work.js";
import { EMAIL_MAX_LENGTH, normalizeEmail } from "../../core/user.js";

export type { AuditEntry, AuditEventName, AuditQuery, AuditReader } from "../../core/audit-log.js";

/** Some rows of a batch could not be written (the others were): how many, and why the first failed. */
export class AuditRowsLost extends Error {
  constructor(
    readonly count: number,
    override readonly cause: unknown,
  ) {
    super(`${count} audit rows could not be written`, { cause });
    this.name = "AuditRowsLost";
  }
}

export interface AuditStore {
  /**
   * In `tx` when given: the rows then commit with the change they report.
   * Without, a failure loses the whole batch, or only some rows (AuditRowsLost).
   */
  insertAuditEntries(entries: readonly AuditEntry[], tx?: Transaction): Promise<void>;
  /** Oldest first. */
  listAuditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than `before`; returns how many. */
  deleteAuditEntriesBefore(before: Date): Promise<number>;
}

/** The audit row an event makes, or null for events that are not audited (hash timings). */
export function toAuditEntry(event: AuthEvent, at: Date): AuditEntry | null {
  if (event.type === "hash" || event.type === "oauth_error") return null;
  // A client's own grants (client_credentials) are counted, not written: a row each would cost more than the grant.
  if (event.type === "oauth_grant" && !event.userId) return null;
  const [name, outcome] = describe(event);
  // An erased account: the row says one was, and whose id it had; nothing that names the person.
  if (event.type === "user_deleted" && event.erased)
    return {
      at,
      event: name,
      outcome,
      userId: event.userId ?? null,
      email: null,
      ip: null,
      userAgent: null,
      repeats: 1,
    };
  return {
    at,
    event: name,
    outcome,
    userId: event.userId ?? null,
    email: event.email ? normalizeEmail(event.email).slice(0, EMAIL_MAX_LENGTH) : null,
    ip: event.client?.ip ?? null,
    userAgent: event.client?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    repeats: 1,
  };
}

/**
 * Refusals a client can repeat as fast as the server answers: a login or a
 * registration past a full hash queue (busy) or past its limits (throttled),
 * a reset request past its limit. Written one row each, a flood of them would become
 * thousands of inserts a second (measured: 5,000 rows/s, 1.3 MB/s of
 * database growth, from one closed-loop client), so a flood could fill the
 * disk and would keep the database writing.
 */
function isRepeatableRefusal(entry: AuditEntry): boolean {
  return (
    ((entry.event === "login" || entry.event === "register") &&
      (entry.outcome === "busy" || entry.outcome === "throttled")) ||
    (entry.event === "reset_requested" && entry.outcome === "throttled") ||
    (entry.event === "mfa_challenge" &&
      (entry.outcome === "throttled" || entry.outcome === "invalid_token")) ||
    // Anyone can send passkey responses; a copied authenticator's is worth its own row.
    (entry.event === "passkey_refused" && entry.outcome !== "counter_regression")
  );
}

/** How long one address's identical refusals are summed up in one row. */
const REPEAT_WINDOW_MS = 60_000;
/** Addresses tracked at once; refusals from more addresses share one window per kind. */
const MAX_REPEAT_WINDOWS = 10_000;

interface RepeatWindow {
  /** The last refusal summed up, and how many. */
  last: AuditEntry | null;
  count: number;
  endsAt: number;
}

const SECOND_FACTOR_EVENTS = {
  enabled: "mfa_enabled",
  disabled: "mfa_disabled",
  recovery_codes_renewed: "mfa_recovery_codes_renewed",
  reset_by_operator: "mfa_reset_by_operator",
} as const satisfies Record<string, AuditEventName>;

function describe(
  event: Exclude<AuthEvent, { type: "hash" | "oauth_error" }>,
): [AuditEventName, string] {
  switch (event.type) {
    case "registration":
      return ["register", event.outcome];
    case "login":
      return ["login", event.outcome];
    case "logout":
      return ["logout", "success"];
    case "password_changed":
      return ["password_changed", "success"];
    case "reauthentication":
      return ["reauthentication", event.sessionEnded ? "failure_session_ended" : "failure"];
    case "user_deleted":
      return ["user_deleted", event.erased ? "erased_by_owner" : "success"];
    case "sessions_revoked":
      return ["sessions_revoked", "success"];
    case "email_verified":
      return ["email_verified", "success"];
    case "email_change":
      return [event.stage === "requested" ? "email_change_requested" : "email_changed", "success"];
    case "second_factor":
      return [SECOND_FACTOR_EVENTS[event.action], "success"];
    case "passkey":
      return [`passkey_${event.action}`, event.outcome ?? "success"];
    case "social_login":
      return ["social_login", `${event.outcome}:${event.provider}`];
    case "identity":
      return [`identity_${event.action}`, event.provider];
    case "provider":
      return [`provider_${event.action}`, event.provider];
    case "mfa_challenge":
      // A recovery code's use is its own row, saying how many are left.
      if (event.method === "recovery_code" && event.outcome === "success")
        return ["recovery_code_used", `${event.recoveryCodesLeft ?? 0} left`];
      return ["mfa_challenge", event.method ? `${event.outcome}_${event.method}` : event.outcome];
    case "reset":
      return event.stage === "requested"
        ? ["reset_requested", event.outcome ?? "accepted"]
        : ["reset_completed", "success"];
    // The OpenID provider's: the outcome names the application (its client id) and what.
    case "oauth_client":
      return [`oauth_client_${event.action}`, `client ${event.clientId}`];
    case "oauth_consent":
      return ["oauth_consent_granted", `client ${event.clientId}: ${event.scopes.join(" ")}`];
    case "oauth_grant":
      return ["oauth_grant_issued", `client ${event.clientId}: ${event.grantType}`];
    case "oauth_token_revoked":
      return [
        "oauth_token_revoked",
        event.clientId ? `${event.reason}, client ${event.clientId}` : event.reason,
      ];
  }
}

export interface AuditTrailOptions {
  now?: () => Date;
  /** Told when a batch could not be written (the entries are then dropped). */
  onError?: (error: unknown, dropped: number) => void;
}

/**
 * Listens to the domain's events and writes them to the audit table. The
 * events of a change (a registration, a login, a reset, ...) are written in
 * its own transaction (recordIn). The others, refusals and failures that
 * change nothing, go out off the request path: the events of one turn of the
 * event loop, and all those that arrive while the insert before is being
 * written, as one multi-row insert; what is lost on a crash is at most the
 * batches not yet written (and the refusals being summed up).
 *
 * Repeatable refusals (isRepeatableRefusal) are summed up per kind and
 * address: the first one is written as it happens, the identical ones that
 * follow within a minute become one row with `repeats` = their number (the
 * last one's email and user agent), written when the minute is over. A flood
 * thus costs at most two rows a minute per address.
 */
export class AuditTrail implements EventRecorder {
  readonly #store: AuditStore;
  readonly #now: () => Date;
  readonly #onError: (error: unknown, dropped: number) => void;
  #pending: AuditEntry[] = [];
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;
  readonly #repeats = new Map<string, RepeatWindow>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(store: AuditStore, options: AuditTrailOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#onError = options.onError ?? (() => {});
  }

  /** The AuthEventListener: cheap and synchronous, the write follows. */
  readonly record = (event: AuthEvent): void => {
    const entry = toAuditEntry(event, this.#now());
    if (!entry) return;
    if (isRepeatableRefusal(entry) && this.#summedUp(entry)) return;
    this.#pending.push(entry);
    this.#scheduleWrite();
  };

  /**
   * The event of a change, written in the change's transaction (UnitOfWork):
   * the row exists exactly when the change does. Never summed up: only
   * refusals are, and a refusal changes nothing.
   */
  readonly recordIn = async (event: AuthEvent, tx: Transaction): Promise<void> => {
    const entry = toAuditEntry(event, this.#now());
    if (entry) await this.#store.insertAuditEntries([entry], tx);
  };

  /** True when the refusal joins an open window; else opens one and lets it be written. */
  #summedUp(entry: AuditEntry): boolean {
    const at = entry.at.getTime();
    let key = `${entry.event}|${entry.outcome}|${entry.ip ?? ""}`;
    if (!this.#repeats.has(key) && this.#repeats.size >= MAX_REPEAT_WINDOWS) {
      key = `${entry.event}|${entry.outcome}|*`; // many addresses: one window per kind
    }
    const window = this.#repeats.get(key);
    if (window && at < window.endsAt) {
      window.last = entry;
      window.count++;
      return true;
    }
    if (window) this.#close(key, window);
    this.#repeats.set(key, { last: null, count: 0, endsAt: at + REPEAT_WINDOW_MS });
    if (this.#sweep === undefined) this.#scheduleSweep();
    return false;
  }

  /** Writes the sums of the windows that are over (all of them when `all`). */
  #closeWindows(all: boolean): void {
    this.#sweep = undefined;
    const now = this.#now().getTime();
    for (const [key, window] of this.#repeats) {
      if (all || now >= window.endsAt) this.#close(key, window);
    }
    if (this.#repeats.size > 0) this.#scheduleSweep();
  }

  /**
   * Wakes up when the earliest open window ends, so its sum is written then,
   * not up to a minute later. Windows are opened in time order and a Map
   * keeps insertion order, so the first one ends first.
   */
  #scheduleSweep(): void {
    const [earliest] = this.#repeats.values();
    if (!earliest) return;
    const wait = Math.max(0, earliest.endsAt - this.#now().getTime());
    this.#sweep = setTimeout(() => this.#closeWindows(false), wait).unref();
  }

  #close(key: string, window: RepeatWindow): void {
    this.#repeats.delete(key);
    if (!window.last) return;
    this.#pending.push({ ...window.last, repeats: window.count });
    this.#scheduleWrite();
  }

  #scheduleWrite(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#writeBatch();
    });
  }

  /** The trail, oldest first, including every event recorded before the call. */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.flush();
    return this.#store.listAuditEntries(query);
  }

  /** Deletes the entries older than `retentionMs` by this trail's clock; returns how many. */
  purgeOlderThan(retentionMs: number): Promise<number> {
    return this.#store.deleteAuditEntriesBefore(new Date(this.#now().getTime() - retentionMs));
  }

  /**
   * Resolves once every event recorded so far is written (or dropped after an
   * error), the refusals being summed up included: their windows end here.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#sweep);
    this.#closeWindows(true);
    await this.#writeBatch();
  }

  #writeBatch(): Promise<void> {
    // Batches are written one after another, so rows keep the order of events;
    // each takes what is pending when the one before has finished, so the
    // events that arrive during a write go out together in the next insert
    // (one statement for many token grants under load, not one each).
    this.#writing = this.#writing.then(async () => {
      const batch = this.#pending;
      this.#pending = [];
      if (batch.length === 0) return;
      try {
        await this.#store.insertAuditEntries(batch);
      } catch (error) {
        const [cause, dropped] =
          error instanceof AuditRowsLost ? [error.cause, error.count] : [error, batch.length];
        // A throwing reporter must not leave the chain rejected: every later batch would be skipped.
        try {
          this.#onError(cause, dropped);
        } catch {}
      }
    });
    return this.#writing;
  }
}
