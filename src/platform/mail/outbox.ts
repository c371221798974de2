import type { Transaction } from "../db/transaction-handle.js";

/** A queued mail, as a sender claims it. */
export interface OutboxMessage {
  id: number;
  /** Which composer makes its message (MailComposers). */
  kind: string;
  email: string;
  /** The email_tokens row a verification or change mail makes its token for. */
  refId: number | null;
  /** Attempts so far, this one included. */
  attempts: number;
  /** The language to write it in, as queued; null when none was known. */
  language: string | null;
}

/** The outbox table: mail survives restarts and is shared by every instance. */
export interface OutboxStore {
  /** In `tx` when given: the mail is sent only if that transaction commits. */
  enqueueMail(
    kind: string,
    email: string,
    now: Date,
    refId?: number,
    tx?: Transaction,
    language?: string,
  ): Promise<void>;
  /**
   * Takes up to `limit` due messages for `leaseMs` and counts an attempt on
   * each. A message is claimed by one sender at a time; one whose sender died
   * is due again when its lease ends.
   */
  claimDueMail(now: Date, leaseMs: number, limit: number): Promise<OutboxMessage[]>;
  /** Sent (or nothing to send): the row goes. */
  deleteMail(id: number): Promise<void>;
  /** A failed attempt: try again at `nextAttemptAt`. */
  rescheduleMail(id: number, nextAttemptAt: Date, error: string): Promise<void>;
  /** Out of attempts: kept as failed, for operators, until purged. */
  failMail(id: number, error: string): Promise<void>;
  /** Deletes failed messages created before `before`. */
  deleteFailedMailBefore(before: Date): Promise<number>;
}
