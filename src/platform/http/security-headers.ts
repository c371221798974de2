import type { IncomingMessage, ServerResponse } from "node:http";
import fastifyCors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

/**
 * helmet's headers, with the Content-Security-Policy of the hosted pages:
 * scripts, styles and forms from this origin only, no inline script, no
 * framing (clickjacking), no plugins, no <base> tricks. JSON answers get the
 * stricter API_POLICY instead; Swagger UI at /docs sets its own (on /docs only).
 */
function helmetOptions(production: boolean, extra: PageOrigins = {}): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:", ...(extra.images ?? [])],
        // A sign-in form's answer may redirect to an application (return_to):
        // browsers hold that redirect to form-action too.
        formAction: ["'self'", ...(extra.formTargets ?? [])],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        // Over plain HTTP (development on localhost) an upgrade would break the pages.
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Behind TLS in production; ignored by browsers over plain HTTP anyway.
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: "no-referrer" },
  };
}

/**
 * The headers helmet sets, computed once. None depends on the request, and
 * @fastify/helmet rebuilt helmet's middleware (CSP parsing included) on every
 * request: measured, that halved GET / (0.83x -> 0.45x bare Fastify) and cut
 * GET /profile from 0.43x to 0.27x. Running helmet once against a recording
 * response keeps its defaults and our policy, at the cost of one object
 * assignment per request.
 */
/**
 * Origins the pages' policy names besides their own, each configured by the
 * operator: where forms may lead (the applications a sign-in returns to), where
 * images come from (a brand's logo).
 */
export interface PageOrigins {
  formTargets?: readonly string[];
  images?: readonly string[];
}

export function securityHeaders(
  production: boolean,
  extra: PageOrigins = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader() {},
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(helmetOptions(production, extra))({} as IncomingMessage, recorder, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

/**
 * The policy of every answer that is not a page: a JSON document loads
 * nothing, runs nothing and is never framed (as OWASP's REST Security Cheat
 * Sheet advises, and GitHub's API answers). Stricter than the pages' policy,
 * and a quarter of its length, which every answer pays in validation and bytes.
 */
export const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * The helmet headers that mean something for any answer, JSON included (ASVS
 * 5.0 V3.4 asks for CSP, nosniff, a Referrer-Policy and HSTS on every one;
 * CORP keeps other sites from loading our JSON as a resource); the CSP of
 * every answer is API_POLICY, helmet's goes on the pages. The others (COOP,
 * Origin-Agent-Cluster, X-Frame-Options, X-DNS-Prefetch-Control ...) only
 * govern documents: they go on the hosted pages too. Each header costs every
 * request its validation and serialization, so JSON carries five, not twelve.
 */
const EVERY_ANSWER = new Set([
  "x-content-type-options",
  "referrer-policy",
  "strict-transport-security",
  "cross-origin-resource-policy",
]);

export interface SecurityHeaders {
  /** On every answer (set by every-request.ts). */
  everyAnswer: Record<string, string>;
  /** Added to HTML documents (the hosted pages), their policy included. */
  documentsOnly: Record<string, string>;
}

/**
 * helmet's headers, split into those for every answer (with the API policy)
 * and those the pages add (with helmet's policy, which replaces it there).
 */
export function splitSecurityHeaders(
  options: { production: boolean } & PageOrigins,
): SecurityHeaders {
  const all = Object.entries(securityHeaders(options.production, options));
  return {
    everyAnswer: {
      ...Object.fromEntries(all.filter(([name]) => EVERY_ANSWER.has(name))),
      "content-security-policy": API_POLICY,
    },
    documentsOnly: Object.fromEntries(all.filter(([name]) => !EVERY_ANSWER.has(name))),
  };
}

/**
 * CORS stays off (no Access-Control-* header at all, so browsers keep other
 * origins from reading answers) unless origins are configured; then those,
 * and only those, may call with credentials (the session cookie).
 */
export async function registerCors(
  app: FastifyInstance,
  origins: readonly string[],
): Promise<void> {
  if (origins.length === 0) return;
  await app.register(fastifyCors, {
    origin: [...origins],
    credentials: true,
    methods: ["GET", "POST", "PUT", "DELETE"],
    maxAge: 600,
  });
}
