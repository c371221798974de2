import type { Transaction, TransactionRunner } from "../platform/db/transaction-handle.js";
import type { AuthEvent, AuthEventListener } from "./events.js";
import type { MailKind, MailQueue } from "./mail-queue.js";

export type { Transaction, TransactionRunner } from "../platform/db/transaction-handle.js";

/**
 * A listener that writes rows for the events it hears (the audit trail, the
 * webhook queue). `record` is for events that change nothing (a refusal, a
 * failed login): written off the request path, as before. `recordIn` is for
 * the events of a change: written in the change's own transaction, so the
 * row exists exactly when the change does.
 */
export interface EventRecorder {
  record: AuthEventListener;
  recordIn(event: AuthEvent, tx: Transaction): Promise<void>;
}

/** What the work of a change is handed: its transaction, and how to report and mail inside it. */
export interface Change {
  readonly tx: Transaction;
  /** Writes the event's rows (audit, webhooks) in this transaction; the metrics hear it once committed. */
  report(event: AuthEvent): Promise<void>;
  /**
   * Queues a mail in this transaction: it is sent only if the change commits.
   * `language`: the asking client's (SessionClient.language), when known.
   */
  mail(kind: MailKind, email: string, refId?: number, language?: string): Promise<void>;
}

/**
 * The one way the domain changes something that is audited: the change's
 * writes, its audit row, its webhook rows and its mail commit together or
 * not at all, on SQLite and PostgreSQL alike. So a change answered with an
 * error (a timeout) that lands after all still has its audit row, and a
 * change that is answered "done" has every side effect queued.
 *
 * Around it, the order a flow keeps: first whatever can refuse (limits,
 * throttles in Redis, the password hash) and every read, then run(), then
 * only steps that cannot turn the committed change into an error
 * (afterCommit). Inside, only statements handed `change.tx`: SQLite has one
 * connection, held by the transaction, so a statement outside it would wait
 * for the transaction that waits for it (until the request's deadline).
 */
export class UnitOfWork {
  readonly #transactions: TransactionRunner;
  readonly #recorders: readonly EventRecorder[];
  readonly #notify: AuthEventListener;
  readonly #mailQueue: MailQueue | undefined;
  readonly #onError: (error: unknown, step: string) => void;

  constructor(dependencies: {
    transactions: TransactionRunner;
    recorders: readonly EventRecorder[];
    /** Hears each event of a change once it has committed (metrics); never writes. */
    notify: AuthEventListener;
    mailQueue: MailQueue | undefined;
    /** Told of a step after a commit that failed (it is then given up). */
    onError?: (error: unknown, step: string) => void;
  }) {
    this.#transactions = dependencies.transactions;
    this.#recorders = dependencies.recorders;
    this.#notify = dependencies.notify;
    this.#mailQueue = dependencies.mailQueue;
    this.#onError = dependencies.onError ?? (() => {});
  }

  /** Runs `work` as one transaction with its reports and mail; see the class. */
  async run<T>(work: (change: Change) => Promise<T>): Promise<T> {
    let reported: AuthEvent[] = [];
    const result = await this.#transactions.transaction((tx) => {
      reported = []; // a runner may start the work again after a conflict
      return work({
        tx,
        report: async (event) => {
          reported.push(event);
          for (const recorder of this.#recorders) await recorder.recordIn(event, tx);
        },
        mail: async (kind, email, refId, language) => {
          await this.#mailQueue?.enqueue(kind, email, refId, tx, language);
        },
      });
    });
    for (const event of reported) {
      await this.afterCommit("metrics", async () => this.#notify(event));
    }
    return result;
  }

  /**
   * A step after a commit (clearing a throttle in Redis, say): its failure is
   * reported to the operators and given up, never thrown, since the change
   * it follows is done and the client must hear so.
   */
  async afterCommit(step: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#onError(error, step);
    }
  }
}
