import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./error-answer.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Puts the guard in front of every state-changing route as it is added, so
 * GET requests (most of the traffic) do not run it at all.
 */
export interface CrossSiteOptions {
  /** Origins allowed besides our own. */
  trustedOrigins: readonly string[];
  /** Our public origin, when a proxy in front changes the scheme or host. */
  publicUrl?: string;
  /** Requests no browser could have been made to send (e.g. header-authenticated). */
  isExempt?: (request: FastifyRequest) => boolean;
}

export function installCrossSiteGuard(app: FastifyInstance, options: CrossSiteOptions): void {
  const guard = crossSiteGuard(options);
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
 *
 * `Origin`, when sent, decides: it must be ours (scheme, host and port, so an
 * http:// page cannot post to the https:// service) or trusted, and a
 * same-site or cross-site `Sec-Fetch-Site` beside it still refuses (a sibling
 * subdomain shares our host name only through Host-header tricks). Only a
 * request without `Origin`, or with the opaque `Origin: null` that browsers
 * send under `Referrer-Policy: no-referrer`, is judged by `Sec-Fetch-Site`
 * alone (browsers set it; a page cannot). Our origin is
 * the one the request reached (scheme as the trusted proxy reports it) and
 * PUBLIC_URL's, so a TLS-terminating proxy does not make our own pages foreign.
 */
export function crossSiteGuard({ trustedOrigins, publicUrl, isExempt }: CrossSiteOptions) {
  const trusted = new Set(trustedOrigins);
  const publicOrigin = publicUrl === undefined ? undefined : new URL(publicUrl).origin;
  return async function refuseCrossSite(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    if (!STATE_CHANGING.has(request.method) || isExempt?.(request)) return;
    const origin = header(request, "origin");
    const fetchSite = header(request, "sec-fetch-site");
    // "null": what Chromium sends for our own form posts under
    // Referrer-Policy: no-referrer; its Sec-Fetch-Site then says where it came from.
    if (origin === undefined || origin === "null") {
      if (fetchSite === "same-origin" || fetchSite === "none") return;
      if (origin === undefined && fetchSite === undefined) return;
    } else if (trusted.has(origin)) {
      return;
    } else if (isOwnOrigin(origin, request, publicOrigin)) {
      if (fetchSite === undefined || fetchSite === "same-origin" || fetchSite === "none") return;
    }
    await sendError(reply, 403, "cross_site_request", "cross-site request refused");
  };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

function isOwnOrigin(origin: string, request: FastifyRequest, publicOrigin?: string): boolean {
  if (origin === publicOrigin) return true;
  try {
    // "null" (sandboxed frames, file:) and garbage are never our origin.
    return new URL(origin).origin === `${request.protocol}://${request.host}`;
  } catch {
    return false;
  }
}
