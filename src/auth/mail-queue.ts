/** The mails the domain asks for. */
export type MailKind =
  | "password_reset"
  | "password_changed"
  | "second_factor_added"
  | "second_factor_removed"
  | "recovery_code_used";

/**
 * Where the domain drops mail to be sent later, off the request path (the
 * outbox table, see src/mail). A reset mail names only its recipient: the
 * token is made when the mail is sent, so no token waits in a table.
 */
export interface MailQueue {
  enqueue(kind: MailKind, email: string): Promise<void>;
}
