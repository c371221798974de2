/** Node socket errors, and SQLSTATE class 08 (connection exception) plus server shutdown and overload. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** What pg says, without a code, when a connection dies or cannot be had in time. */
const CONNECTION_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Query read timeout",
  "not queryable",
  "Client was closed",
];

/**
 * True for failures that say "the database is not there right now" rather
 * than "this query is wrong": lost or refused connections, timeouts, a locked
 * or unreadable SQLite file. Those become 503 and the service recovers by
 * itself when the database does.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (CONNECTION_CODES.has(code)) return true;
    if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/.test(code)) return true;
  }
  return CONNECTION_MESSAGES.some((message) => error.message.includes(message));
}
