import type { FastifyInstance } from "fastify";
import { runWithDeadline } from "../runtime/request-deadline.js";

/**
 * Gives each request one deadline for all of its database work, counted
 * from its arrival (DATABASE_TIMEOUT): past it, whatever it waits for (a
 * pooled connection, a query, a write lock) gives up and the answer is 503.
 * The first hook, so every later step of the request runs inside it.
 */
export function installRequestDeadline(app: FastifyInstance, timeoutMs: number): void {
  app.addHook("onRequest", (_request, _reply, done) => {
    runWithDeadline(Date.now() + timeoutMs, done);
  });
}
