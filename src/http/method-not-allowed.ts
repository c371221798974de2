import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";

/**
 * Fastify answers 404 for a known path with an unknown method; the contract
 * wants 405 with an `Allow` header. This records every route's methods as
 * they are added and answers the not-found case accordingly.
 */
export function installMethodNotAllowed(app: FastifyInstance): void {
  const methodsByPath = new Map<string, Set<string>>();

  app.addHook("onRoute", (route) => {
    const path = normalizePath(route.url ?? route.path);
    const methods = methodsByPath.get(path) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(path, methods);
  });

  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const path = normalizePath(request.url.split("?", 1)[0] ?? "/");
    const methods = methodsByPath.get(path);
    if (methods) {
      reply.header("allow", [...methods].sort().join(", "));
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

/** `/profile/` and `/profile` are one path, as the router treats them. */
function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
