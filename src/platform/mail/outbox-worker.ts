import { retryDelay } from "../db/leased-queue.js";
import type { Transaction } from "../db/transaction-handle.js";
import type { MailComposer } from "./composer.js";
import { isMailableEmail } from "./mailable.js";
import type { OutboxMessage, OutboxStore } from "./outbox.js";
import type { MailMessage, MailTransport } from "./transport.js";

/** The pino subset the worker reports through. */
export interface WorkerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface OutboxWorkerOptions {
  store: OutboxStore;
  transport: MailTransport;
  /**
   * What each kind of mail says, by kind (MailComposers, one per kind the
   * service queues). A row of a kind without one fails, never sends another
   * kind's mail.
   */
  composers: Readonly<Record<string, MailComposer>>;
  logger?: WorkerLogger;
  now?: () => Date;
  /** How often due and retried mail is looked for, besides the nudge of each new mail. */
  pollIntervalMs?: number;
  /** How long a claimed mail is held before another sender may take it over. */
  leaseMs?: number;
  maxAttempts?: number;
  /** First retry delay; it doubles with each failure up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long failed mail stays in the table for operators. */
  failedRetentionMs?: number;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/**
 * Sends the outbox's mail, off the request path. A new mail is sent at once
 * (enqueue nudges the worker); failures are retried with exponential backoff
 * (30 s, 1 min, 2 min ... up to an hour, 8 attempts by default); mail left by
 * a crashed instance is picked up when its lease ends. Any number of
 * instances can run a worker over one database: claims are exclusive.
 */
export class OutboxWorker {
  readonly #options: Required<Omit<OutboxWorkerOptions, "logger" | "now">>;
  readonly #logger: WorkerLogger;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: OutboxWorkerOptions) {
    this.#options = {
      pollIntervalMs: 5000,
      leaseMs: 60_000,
      maxAttempts: 8,
      retryBaseMs: 30_000,
      retryMaxMs: 3_600_000,
      failedRetentionMs: 7 * 86_400_000,
      ...options,
    };
    this.#logger = options.logger ?? silent;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Queues the mail (one INSERT) and wakes the sender; the caller does not
   * wait for SMTP. In a transaction, the sender wakes once it has committed
   * (before, the row is not there to be seen).
   */
  async enqueue(
    kind: string,
    email: string,
    refId?: number,
    tx?: Transaction,
    language?: string,
  ): Promise<void> {
    await this.#options.store.enqueueMail(kind, email, this.#now(), refId, tx, language);
    const wake = () => setImmediate(() => void this.drain());
    if (tx) tx.afterCommit(wake);
    else wake();
  }

  start(): void {
    this.#timer = setInterval(() => void this.drain(), this.#options.pollIntervalMs);
    this.#timer.unref();
    void this.drain();
  }

  /** Stops polling, lets the mail being sent finish, closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#draining;
    this.#options.transport.close();
  }

  /**
   * Sends everything due now. Concurrent calls share one pass (and ask it to
   * look again), so a burst of enqueues does not start a burst of senders.
   */
  drain(): Promise<void> {
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /** Deletes failed mail past its retention; the server's hourly purge calls it. */
  async purgeFailed(): Promise<number> {
    const before = new Date(this.#now().getTime() - this.#options.failedRetentionMs);
    return this.#options.store.deleteFailedMailBefore(before);
  }

  async #drainLoop(): Promise<void> {
    try {
      do {
        this.#again = false;
        const batch = await this.#options.store.claimDueMail(
          this.#now(),
          this.#options.leaseMs,
          20,
        );
        for (const message of batch) await this.#deliver(message);
        if (batch.length > 0) this.#again = true;
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // The database is away: the next poll tries again.
      this.#logger.warn({ err: error }, "mail outbox could not be read");
    }
  }

  async #deliver(message: OutboxMessage): Promise<void> {
    const { store } = this.#options;
    try {
      const mail = await this.#compose(message);
      if (mail) await this.#options.transport.send(mail);
      await store.deleteMail(message.id);
      // Unregistered emails get no mail, but the same log line: logs do not enumerate.
      this.#logger.info({ mailId: message.id, kind: message.kind }, "mail handled");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (message.attempts >= this.#options.maxAttempts) {
        await store.failMail(message.id, reason);
        this.#logger.error(
          { mailId: message.id, kind: message.kind, attempts: message.attempts, reason },
          "mail given up",
        );
        return;
      }
      const delay = retryDelay(
        message.attempts,
        this.#options.retryBaseMs,
        this.#options.retryMaxMs,
      );
      await store.rescheduleMail(message.id, new Date(this.#now().getTime() + delay), reason);
      this.#logger.warn(
        { mailId: message.id, kind: message.kind, attempts: message.attempts, reason },
        "mail failed, will retry",
      );
    }
  }

  /** The mail to send, or null when there is nobody to send it to. */
  async #compose(message: OutboxMessage): Promise<MailMessage | null> {
    if (!this.#isMailable(message)) return null;
    const { composers } = this.#options;
    const compose = Object.hasOwn(composers, message.kind) ? composers[message.kind] : undefined;
    // A row this version has no message for (written by a newer one, or by
    // hand) fails as any other error: retried, then kept for operators.
    if (!compose) throw new Error(`no message for mail kind "${message.kind}"`);
    return compose(message);
  }

  /**
   * Accounts and queued rows from before the strict address syntax may hold
   * one that a mail parser reads as someone else's ("x<y@evil.test>",
   * "victim@corp.test(1"): such mail is dropped, never sent.
   */
  #isMailable(message: OutboxMessage): boolean {
    if (isMailableEmail(message.email)) return true;
    this.#logger.warn({ mailId: message.id, kind: message.kind }, "mail recipient refused");
    return false;
  }
}
