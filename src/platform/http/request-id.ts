import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** What we accept from a proxy's X-Request-Id: short, and nothing that could forge a log line. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the one an upstream proxy put in `X-Request-Id` when it
 * is a plain token, else a fresh UUID. It is in every log line of the request
 * and echoed in the response (every-request.ts), so a client's report can be
 * found in the logs.
 */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers["x-request-id"];
  return typeof incoming === "string" && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}
