import type { FastifyRequest } from "fastify";

const WITHOUT_BODY = new Set(["GET", "HEAD"]);

/**
 * Fastify never reads the body of a GET or HEAD. If a client sends one anyway
 * (the fuzzer does, 378 kB on GET /metrics), the answer can go out and the
 * socket close while the body is still arriving, and the kernel then resets
 * the connection, destroying the answer on its way. Such a body is read to
 * its end (discarded, up to the body limit; past that 413, as for any route)
 * before answering, which keeps the exchange well-formed. Requests without a
 * body (all real GETs) cost one method and two header lookups.
 */
export function hasUnreadBody(request: FastifyRequest): boolean {
  const { headers } = request;
  return (
    WITHOUT_BODY.has(request.method) &&
    (headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined)
  );
}

/** Reads the body to its end without keeping it; true once it passes `limit` bytes. */
export async function discardBody(request: FastifyRequest, limit: number): Promise<boolean> {
  let received = 0;
  for await (const chunk of request.raw) {
    received += (chunk as Buffer).length;
    if (received > limit) return true;
  }
  return false;
}
