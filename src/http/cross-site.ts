import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Puts the guard in front of every state-changing route as it is added, so
 * GET requests (most of the traffic) do not run it at all.
 */
export function installCrossSiteGuard(
  app: FastifyInstance,
  trustedOrigins: readonly string[],
): void {
  const guard = crossSiteGuard(trustedOrigins);
  app.addHook("onRoute", (route) => {
    if (![route.method].flat().some((method) => STATE_CHANGING.has(method))) return;
    route.onRequest = [guard, ...[route.onRequest ?? []].flat()];
  });
}

/**
 * Refuses state-changing requests that a browser sends on behalf of another
 * site (CSRF, login CSRF). Browsers label their requests with `Origin` and
 * `Sec-Fetch-Site`; a request is let through when it comes from our own origin,
 * from a trusted one, or carries neither header (scripts, curl, servers), as
 * SameSite=Lax cookies cannot be sent cross-site on POST anyway.
 */
export function crossSiteGuard(trustedOrigins: readonly string[]) {
  const trusted = new Set(trustedOrigins);
  return async function refuseCrossSite(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = header(request, "origin");
    const fetchSite = header(request, "sec-fetch-site");
    if (origin === undefined && fetchSite === undefined) return;
    if (fetchSite === "same-origin" || fetchSite === "none") return;
    if (origin !== undefined && (trusted.has(origin) || isSameOrigin(origin, request))) {
      // A same-site (sibling subdomain) or cross-site label wins over a matching Host.
      if (fetchSite === undefined || trusted.has(origin)) return;
    }
    await sendError(reply, 403, "cross_site_request", "cross-site request refused");
  };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

function isSameOrigin(origin: string, request: FastifyRequest): boolean {
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage are never our origin
  }
}
