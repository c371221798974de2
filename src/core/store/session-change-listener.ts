import pg from "pg";
import { SESSION_CHANGES_CHANNEL } from "../../platform/db/migrations/0008-session-change-notices.js";
import { OIDC_CHANGES_CHANNEL } from "../../platform/db/migrations/0018-oidc-change-notices.js";

/** What a notice says changed: these users' sessions, or possibly anyone's. */
export type SessionChange = { userIds: number[] } | "everything";

export interface SessionChangeListenerOptions {
  /** The database's URL (its own connection, outside the pool). */
  url: string;
  /** A notice arrived. */
  onChange: (change: SessionChange) => void;
  /**
   * The listener went down or came back: notices may have been missed, so
   * whatever was cached is to be forgotten. `up` tells which.
   */
  onStateChange: (up: boolean) => void;
  /** A check that the connection still answers, this often (ms). Default 250. */
  heartbeatMs?: number;
  /**
   * How long an answered check vouches for the connection, from when it was
   * sent (ms). Default 2000. Past it, with no newer check answered, the
   * listener counts as down. Eight checks long: a busy or pausing process
   * whose checks are answered late does not empty its caches for nothing.
   */
  leaseMs?: number;
  /** First delay before reconnecting (ms), doubled up to 5 s. Default 100. */
  retryMs?: number;
}

const MAX_RETRY_MS = 5000;

/** The listener connection's application_name. */
export const SESSION_LISTENER_NAME = "auth-service session listener";

/** Every channel it listens on: the session cache's, and the OpenID provider's userinfo answers'. */
const CHANNELS = [SESSION_CHANGES_CHANNEL, OIDC_CHANGES_CHANNEL] as const;
export type NoticeChannel = (typeof CHANNELS)[number];

/**
 * One connection per process doing LISTEN on the change channels,
 * kept open: reconnected with backoff when it drops (a restart, a failover,
 * `pg_terminate_backend`). While it is down, `up` is false: the caches built
 * on it serve nothing from memory.
 *
 * A connection can also stop delivering without a word (a silent network
 * partition, a frozen server): `up` then holds only for a lease. A
 * `SELECT 1` goes out every heartbeat; PostgreSQL hands a listening session
 * the notices committed before a query arrives ahead of that query's answer,
 * so an answered check sent at t proves every notice committed before t was
 * heard. `up` is true only within leaseMs of the last such t; past it the
 * watchers forget everything, and the next answered check brings it back.
 * A notice committed elsewhere is thus either heard or stops this process
 * serving from memory within about leaseMs (2 s), not the 10 s it would take
 * the check's own timeout to fail.
 */
export class SessionChangeListener {
  readonly #options: Required<SessionChangeListenerOptions>;
  #client: pg.Client | null = null;
  #up = false;
  #closed = false;
  #retryMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** When the last answered check was sent (ms since the epoch). */
  #confirmedAt = 0;
  /** The connection whose check is in flight, if any. */
  #checking: pg.Client | null = null;
  readonly #watchers = new Map<NoticeChannel, Set<() => void>>();

  constructor(options: SessionChangeListenerOptions) {
    this.#options = { heartbeatMs: 250, leaseMs: 2000, retryMs: 100, ...options };
    this.#retryMs = this.#options.retryMs;
  }

  /** True while notices are being received: connected, and a check answered within the lease. */
  get up(): boolean {
    if (!this.#up) return false;
    if (Date.now() - this.#confirmedAt < this.#options.leaseMs) return true;
    // Lapsed: what was kept may miss a notice that never came.
    this.#setUp(false);
    return false;
  }

  /**
   * Calls `handler` at every notice on the channel, and whenever the
   * listener goes down or comes back (notices may have been missed): what a
   * cache built on it must forget.
   */
  watch(channel: NoticeChannel, handler: () => void): void {
    const handlers = this.#watchers.get(channel) ?? new Set();
    handlers.add(handler);
    this.#watchers.set(channel, handlers);
  }

  /** Connects and listens; resolves after the first attempt, whether or not it succeeded. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeat);
    this.#setUp(false);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#options.url,
      keepAlive: true,
      // How operators (and tests) find it in pg_stat_activity.
      application_name: SESSION_LISTENER_NAME,
      connectionTimeoutMillis: 5000,
      query_timeout: 5000,
    });
    client.on("error", () => this.#lost(client));
    client.on("end", () => this.#lost(client));
    client.on("notification", (message) => {
      if (client !== this.#client) return;
      if (message.channel === SESSION_CHANGES_CHANNEL)
        this.#options.onChange(parseChange(message.payload));
      for (const handler of this.#watchers.get(message.channel as NoticeChannel) ?? []) handler();
    });
    this.#client = client;
    try {
      await client.connect();
      // One round trip, so the connection's last statement is the whole LISTEN.
      await client.query(CHANNELS.map((channel) => `LISTEN ${channel}`).join("; "));
    } catch {
      this.#lost(client);
      return;
    }
    if (this.#closed || client !== this.#client) {
      await client.end().catch(() => {});
      return;
    }
    this.#retryMs = this.#options.retryMs;
    // The LISTEN's own answer is the first check: it was sent just now.
    this.#confirmedAt = Date.now();
    this.#setUp(true);
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#check(client), this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /**
   * One check: when answered, renews the lease from when it was sent. One at
   * a time: a check still unanswered at the next beat is waited for, not
   * joined by another (queued behind it on the one connection, it would
   * prove nothing sooner, and pg deprecates queueing).
   */
  #check(client: pg.Client): void {
    if (this.#checking === client) return;
    this.#checking = client;
    const sentAt = Date.now();
    client.query("SELECT 1").then(
      () => {
        if (this.#checking === client) this.#checking = null;
        if (client !== this.#client) return;
        this.#confirmedAt = Math.max(this.#confirmedAt, sentAt);
        if (!this.#up && Date.now() - this.#confirmedAt < this.#options.leaseMs) this.#setUp(true);
      },
      () => {
        if (this.#checking === client) this.#checking = null;
        this.#lost(client);
      },
    );
  }

  /** The connection is gone (or never came): down now, and a new one later. */
  #lost(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = null;
    clearInterval(this.#heartbeat);
    this.#setUp(false);
    client.end().catch(() => {});
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  #setUp(up: boolean): void {
    if (this.#up === up) return;
    this.#up = up;
    this.#options.onStateChange(up);
    for (const handlers of this.#watchers.values()) for (const handler of handlers) handler();
  }
}

/** "12,40" → those users; "*" or anything unexpected → everything. */
export function parseChange(payload: string | undefined): SessionChange {
  if (!payload || payload === "*") return "everything";
  const userIds = payload.split(",").map(Number);
  return userIds.every(Number.isSafeInteger) ? { userIds } : "everything";
}
