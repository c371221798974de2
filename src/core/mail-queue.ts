import type { Transaction } from "../platform/db/transaction-handle.js";

/** The mails the domain asks for. */
export type MailKind =
  | "password_reset"
  | "password_changed"
  | "account_deleted"
  | "second_factor_added"
  | "second_factor_removed"
  | "recovery_code_used"
  | "email_verification"
  | "email_change"
  | "email_change_requested"
  | "email_changed"
  | "passkey_added"
  | "passkey_removed"
  | "passkey_counter_regression"
  | "identity_linked";

/**
 * Where the domain drops mail to be sent later, off the request path (the
 * outbox table, see src/mail). A reset mail names only its recipient: the
 * token is made when the mail is sent, so no token waits in a table.
 */
export interface MailQueue {
  /**
   * `refId`: the email_tokens row whose token the mail carries (made when it
   * is sent). `tx`: queued in that transaction, sent only if it commits.
   * `language`: the one to write it in (the asking request's), when known.
   */
  enqueue(
    kind: MailKind,
    email: string,
    refId?: number,
    tx?: Transaction,
    language?: string,
  ): Promise<void>;
}
