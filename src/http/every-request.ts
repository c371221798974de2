import type { FastifyInstance } from "fastify";
import { sendError } from "./errors.js";
import { discardBody, hasUnreadBody } from "./unread-body.js";

/**
 * What every request gets before routing goes on, in one onRequest hook (each
 * hook is a step of Fastify's hook runner for every request, so the three
 * jobs share one): its id echoed in `X-Request-Id`, the security headers that
 * belong on any answer, and the draining of a body sent with a GET or HEAD.
 */
export function installEveryRequest(
  app: FastifyInstance,
  options: { headers: Record<string, string>; bodyLimit: number },
): void {
  const { headers, bodyLimit } = options;
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    reply.headers(headers);
    if (!hasUnreadBody(request)) {
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
