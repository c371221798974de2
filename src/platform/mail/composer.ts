import type { OutboxMessage } from "./outbox.js";
import type { MailMessage } from "./transport.js";

/**
 * Turns a queued mail into the message to send, or null when there is
 * nobody to send it to (the row goes, nothing is sent, the same log line).
 */
export type MailComposer = (
  message: OutboxMessage,
) => Promise<MailMessage | null> | MailMessage | null;

/**
 * One composer per mail kind. Typed by its kinds, a map that misses one does
 * not compile: a new kind cannot be queued without the message it sends.
 */
export type MailComposers<Kind extends string> = { readonly [K in Kind]: MailComposer };
