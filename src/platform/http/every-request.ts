import type { FastifyInstance } from "fastify";
import { sendError } from "./error-answer.js";
import { discardBody, hasUnreadBody } from "./unread-body.js";

/**
 * What every request gets before routing goes on, in one onRequest hook (each
 * hook is a step of Fastify's hook runner for every request, so the three
 * jobs share one): its id echoed in `X-Request-Id`, the security headers that
 * belong on any answer, and the draining of a body sent with a GET or HEAD.
 */
export function installEveryRequest(
  app: FastifyInstance,
  options: {
    headers: Record<string, string>;
    bodyLimit: number;
    /** When set, a Host header naming any other host gets 421 (see loopbackHostnames). */
    allowedHostnames?: ReadonlySet<string>;
  },
): void {
  const { headers, bodyLimit, allowedHostnames } = options;
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    reply.headers(headers);
    // The Host header itself: request.host would take X-Forwarded-Host from a
    // trusted proxy, and a rebound page can send that header too.
    if (allowedHostnames && !allowedHostnames.has(hostnameOf(request.headers.host ?? ""))) {
      sendError(reply, 421, "misdirected_request", "this server answers to its own host name only");
      return;
    }
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

/**
 * The names a service listening on loopback is reached by: a page elsewhere
 * whose domain an attacker re-points to 127.0.0.1 (DNS rebinding) sends its
 * own name in Host, and would otherwise count as our origin and read what
 * development hands out (reset tokens). 0.0.0.0 is what the original
 * client's requests to http://0.0.0.0:5000 send.
 */
export const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set([
  "localhost",
  "127.0.0.1",
  "[::1]",
  "0.0.0.0",
  "[::]",
]);

/** True for a listening address on this machine only (HOST=127.0.0.1, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** "example.com:5000" -> "example.com", "[::1]:5000" -> "[::1]", lower-cased. */
function hostnameOf(host: string): string {
  const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.lastIndexOf(":");
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}
