import type { AuthEvent } from "./events.js";
import { USER_AGENT_MAX_LENGTH } from "./session.js";
import { EMAIL_MAX_LENGTH, normalizeEmail } from "./user.js";

export type AuditEventName =
  | "register"
  | "login"
  | "logout"
  | "reset_requested"
  | "reset_completed"
  | "password_changed"
  | "user_deleted"
  | "sessions_revoked";

/** One row of the audit trail. Never a password, a token or a hash. */
export interface AuditEntry {
  at: Date;
  event: AuditEventName;
  outcome: string;
  userId: number | null;
  /** Normalized (normalizeEmail), so one person's events are found under one key. */
  email: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditQuery {
  /** Matched after normalizeEmail. */
  email?: string;
  since?: Date;
  limit?: number;
}

export interface AuditStore {
  insertAuditEntries(entries: readonly AuditEntry[]): Promise<void>;
  /** Oldest first. */
  listAuditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than `before`; returns how many. */
  deleteAuditEntriesBefore(before: Date): Promise<number>;
}

/** The audit row an event makes, or null for events that are not audited (hash timings). */
export function toAuditEntry(event: AuthEvent, at: Date): AuditEntry | null {
  if (event.type === "hash") return null;
  const [name, outcome] = describe(event);
  return {
    at,
    event: name,
    outcome,
    userId: event.userId ?? null,
    email: event.email ? normalizeEmail(event.email).slice(0, EMAIL_MAX_LENGTH) : null,
    ip: event.client?.ip ?? null,
    userAgent: event.client?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
  };
}

function describe(event: Exclude<AuthEvent, { type: "hash" }>): [AuditEventName, string] {
  switch (event.type) {
    case "registration":
      return ["register", event.outcome];
    case "login":
      return ["login", event.outcome];
    case "logout":
      return ["logout", "success"];
    case "password_changed":
      return ["password_changed", "success"];
    case "user_deleted":
      return ["user_deleted", "success"];
    case "sessions_revoked":
      return ["sessions_revoked", "success"];
    case "reset":
      return event.stage === "requested"
        ? ["reset_requested", event.outcome ?? "accepted"]
        : ["reset_completed", "success"];
  }
}

export interface AuditTrailOptions {
  now?: () => Date;
  /** Told when a batch could not be written (the entries are then dropped). */
  onError?: (error: unknown, dropped: number) => void;
}

/**
 * Listens to the domain's events and writes them to the audit table off the
 * request path: the events of one turn of the event loop go out as one
 * multi-row insert, so a login storm costs one write per batch, not per
 * attempt. What is lost on a crash is at most the batch being written.
 */
export class AuditTrail {
  readonly #store: AuditStore;
  readonly #now: () => Date;
  readonly #onError: (error: unknown, dropped: number) => void;
  #pending: AuditEntry[] = [];
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;

  constructor(store: AuditStore, options: AuditTrailOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#onError = options.onError ?? (() => {});
  }

  /** The AuthEventListener: cheap and synchronous, the write follows. */
  readonly record = (event: AuthEvent): void => {
    const entry = toAuditEntry(event, this.#now());
    if (!entry) return;
    this.#pending.push(entry);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#writeBatch();
    });
  };

  /** The trail, oldest first, including every event recorded before the call. */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.flush();
    return this.#store.listAuditEntries(query);
  }

  /** Deletes the entries older than `retentionMs` by this trail's clock; returns how many. */
  purgeOlderThan(retentionMs: number): Promise<number> {
    return this.#store.deleteAuditEntriesBefore(new Date(this.#now().getTime() - retentionMs));
  }

  /** Resolves once every event recorded so far is written (or dropped after an error). */
  async flush(): Promise<void> {
    await this.#writeBatch();
  }

  #writeBatch(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    // Batches are written one after another, so rows keep the order of events.
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#store.insertAuditEntries(batch);
      } catch (error) {
        this.#onError(error, batch.length);
      }
    });
    return this.#writing;
  }
}
