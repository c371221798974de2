import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * `?return_to=URL` on the hosted sign-in pages: where the browser goes once
 * signed in, when that is this service or an application listed in
 * ALLOWED_RETURN_ORIGINS; anywhere else (or anything that is not plainly a
 * URL) goes to /account instead. Never an open redirect (OWASP's Unvalidated
 * Redirects and Forwards Cheat Sheet): the value is parsed with the URL
 * standard, as browsers parse it, and its whole origin compared; the tricks
 * that make one string read as two places are refused before parsing.
 */

/** Where a sign-in lands when it has no (acceptable) return_to. */
export const DEFAULT_DESTINATION = "/account";

/** Longer is refused: it is carried in the pages' forms, whose fields hold 1024 characters. */
export const RETURN_TO_MAX_LENGTH = 1024;

export interface ReturnToPolicy {
  /** This service's origin (PUBLIC_URL's), when configured; else the request's own. */
  ownOrigin?: string | undefined;
  /** Other origins a sign-in may return to (ALLOWED_RETURN_ORIGINS). */
  allowedOrigins: readonly string[];
}

/**
 * Controls, spaces and every other whitespace (a URL parser drops tabs and
 * newlines anywhere and trims the ends, so "/\t/evil.test" would become
 * "//evil.test"), and backslashes (read as "/" in http(s) URLs).
 */
const REFUSED_CHARACTERS = /[\p{Cc}\p{Cf}\p{Z}\s\\]/u;

/**
 * The same, percent-encoded: an encoded slash or backslash ("/%2F%2Fevil.test"),
 * an encoded control or space, or an encoded percent (double encoding, decoded
 * once more by whatever reads it next). No place a sign-in returns to needs one.
 */
const REFUSED_ENCODINGS = /%(?:2f|5c|25|[01][0-9a-f]|20|7f)/i;

/**
 * The place to send the browser to, or undefined when `raw` is not one that
 * may be used. A place on this service comes back as a path ("/account?x"),
 * one of another allowed origin as the whole URL.
 */
export function checkReturnTo(
  raw: unknown,
  ownOrigin: string,
  allowedOrigins: readonly string[],
): string | undefined {
  if (typeof raw !== "string" || raw === "" || raw.length > RETURN_TO_MAX_LENGTH) return undefined;
  if (REFUSED_CHARACTERS.test(raw) || REFUSED_ENCODINGS.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw, `${ownOrigin}/`);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  // https://own@evil.test and https://evil@own.test: never a URL with credentials.
  if (url.username !== "" || url.password !== "") return undefined;
  if (url.origin === ownOrigin) {
    // A path that a browser would read as another host ("//evil.test", from "/.//evil.test").
    if (url.pathname.startsWith("//")) return undefined;
    return `${url.pathname}${url.search}${url.hash}`;
  }
  return allowedOrigins.includes(url.origin) ? url.href : undefined;
}

/**
 * A page of this service to go back to, with its query as the page had it
 * (the language switcher's `back`): the path is checked as a return_to is,
 * the query only for what could end the header or the URL (it stays on this
 * service, and its page checks its own parameters, a return_to again). A
 * page's own return_to is carried percent-encoded, which checkReturnTo
 * refuses in a whole URL. Undefined when it may not be used.
 */
export function checkPagePath(raw: unknown, ownOrigin: string): string | undefined {
  if (typeof raw !== "string" || raw.length > RETURN_TO_MAX_LENGTH) return undefined;
  const queryAt = raw.indexOf("?");
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const query = queryAt === -1 ? "" : raw.slice(queryAt);
  const place = checkReturnTo(path, ownOrigin, []);
  if (place === undefined || !place.startsWith("/") || /[?#]/.test(place)) return undefined;
  if (REFUSED_CHARACTERS.test(query) || query.includes("#")) return undefined;
  return `${place}${query}`;
}

/** The cookie that keeps a return_to while a sign-in waits on a mailed link (verification). */
export const RETURN_TO_COOKIE = "return_to";
const RETURN_TO_COOKIE_SECONDS = 3600;

type PageRequest = FastifyRequest;

/**
 * Checks return_to values against one policy, for requests to the hosted
 * pages. The pages carry the checked value in their forms' hidden fields;
 * where a sign-in waits on a mailed link (an address to verify), a cookie
 * keeps it for an hour, for the login page to take up again.
 */
export class ReturnTo {
  readonly #policy: ReturnToPolicy;
  readonly #secure: boolean;

  constructor(policy: ReturnToPolicy, options: { secure: boolean } = { secure: false }) {
    this.#policy = policy;
    this.#secure = options.secure;
  }

  /** The cookie's copy, checked again (it came back from the browser). */
  remembered(request: PageRequest): string | undefined {
    const header = request.headers.cookie;
    if (!header) return undefined;
    return this.check(request.server.parseCookie(header)[RETURN_TO_COOKIE], request);
  }

  /** Keeps `place` (checked already) while the sign-in waits on a mailed link. */
  remember(reply: FastifyReply, place: string | undefined): void {
    if (place === undefined) return;
    reply.setCookie(RETURN_TO_COOKIE, place, {
      ...this.#cookieOptions(),
      maxAge: RETURN_TO_COOKIE_SECONDS,
    });
  }

  /** Drops the cookie once the sign-in is done (when the request has one). */
  forget(request: PageRequest, reply: FastifyReply): void {
    if (request.headers.cookie?.includes(`${RETURN_TO_COOKIE}=`))
      reply.clearCookie(RETURN_TO_COOKIE, this.#cookieOptions());
  }

  #cookieOptions() {
    return { path: "/account", httpOnly: true, sameSite: "lax", secure: this.#secure } as const;
  }

  /** The checked place, or undefined (then the pages carry none). */
  check(raw: unknown, request: { protocol: string; host: string }): string | undefined {
    const own = this.#policy.ownOrigin ?? ownOriginOf(request);
    if (own === undefined) return undefined;
    return checkReturnTo(raw, own, this.#policy.allowedOrigins);
  }

  /** Where a sign-in goes: the checked place, else /account. */
  destination(raw: unknown, request: { protocol: string; host: string }): string {
    return this.check(raw, request) ?? DEFAULT_DESTINATION;
  }
}

function ownOriginOf(request: { protocol: string; host: string }): string | undefined {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return undefined;
  }
}

/** `path` with `?return_to=` (or `&return_to=`) added when there is a place to return to. */
export function withReturnTo(path: string, returnTo: string | undefined): string {
  if (returnTo === undefined) return path;
  const separator = path.includes("?") ? "&" : "?";
  return `${path}${separator}return_to=${encodeURIComponent(returnTo)}`;
}
