import type { FastifyInstance, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";

const WITHOUT_BODY = new Set(["GET", "HEAD"]);

/**
 * Fastify never reads the body of a GET or HEAD. If a client sends one anyway
 * (the fuzzer does, 378 kB on GET /metrics), the answer can go out and the
 * socket close while the body is still arriving, and the kernel then resets
 * the connection, destroying the answer on its way. Reading such a body to
 * its end (discarding it, up to the body limit; past that 413, as for any
 * route) before answering keeps the exchange well-formed. Requests without a
 * body (all real GETs) cost one header lookup.
 */
export function discardUnreadBodies(app: FastifyInstance, bodyLimit: number): void {
  app.addHook("onRequest", (request, reply, done) => {
    const { headers } = request;
    if (
      !WITHOUT_BODY.has(request.method) ||
      (headers["content-length"] === undefined && headers["transfer-encoding"] === undefined)
    ) {
      done();
      return;
    }
    discardBody(request, bodyLimit).then(
      (tooLarge) => {
        if (tooLarge) sendError(reply, 413, "payload_too_large", "request body is too large");
        else done();
      },
      // The client went away mid-body: nobody is left to answer.
      () => done(),
    );
  });
}

/** Reads the body to its end without keeping it; true once it passes `limit` bytes. */
async function discardBody(request: FastifyRequest, limit: number): Promise<boolean> {
  let received = 0;
  for await (const chunk of request.raw) {
    received += (chunk as Buffer).length;
    if (received > limit) return true;
  }
  return false;
}
