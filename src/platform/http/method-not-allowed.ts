import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import FindMyWay, { type Config, type HTTPMethod, type HTTPVersion } from "find-my-way";
import { sendError } from "./error-answer.js";

/**
 * Fastify answers 404 for a known path with an unknown method; the contract
 * wants 405 with an `Allow` header. Every route is also added, method by
 * method, to a second router of the kind Fastify uses (find-my-way, with the
 * same options), so a path such as /sessions/abc matches the pattern
 * /sessions/:id exactly as Fastify would match it; a not-found request asks
 * that router which methods the path has.
 */
export function installMethodNotAllowed(
  app: FastifyInstance,
  options: Config<HTTPVersion.V1>,
): void {
  const router = FindMyWay(options);
  const methods = new Set<HTTPMethod>();

  app.addHook("onRoute", (route) => {
    // A duplicate route throws here, as Fastify's own router would throw just after.
    for (const method of [route.method].flat() as HTTPMethod[]) {
      methods.add(method);
      router.on(method, route.url, () => {});
    }
  });

  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split("?", 1)[0] ?? "/";
    const allowed = [...methods].filter((method) => router.find(method, path) !== null);
    if (allowed.length > 0) {
      reply.header("allow", allowed.sort().join(", "));
      return sendError(
        reply,
        405,
        "method_not_allowed",
        `method ${request.method} not allowed on ${path}`,
      );
    }
    return sendError(reply, 404, "route_not_found", "not found");
  });
}
