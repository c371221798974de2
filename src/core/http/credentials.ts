import type { FastifyReply, FastifyRequest } from "fastify";
import type { Accounts } from "../accounts.js";
import type { SignedIn } from "../reauthentication.js";
import { EMAIL_MAX_LENGTH } from "../user.js";
import type { SessionCookie } from "./cookies.js";
import { sendError, sendNoSession } from "./errors.js";
import { PASSWORD_INPUT_MAX_LENGTH, PLAIN_TEXT_PATTERN } from "./schemas.js";

/**
 * The session credential a request presents. `Authorization: Bearer <token>`
 * (RFC 6750) wins over the cookie when both are sent; another scheme in the
 * header (Basic on a session route) is not a session credential and leaves
 * the cookie to decide.
 */
export type SessionCredential =
  | { via: "bearer"; token: string }
  | { via: "cookie"; token: string }
  | { via: "none" }
  /** "Bearer" followed by nothing or by characters no token has. */
  | { via: "malformed_bearer" };

/** RFC 6750's b64token: what may follow "Bearer ". */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function sessionCredentialOf(
  request: FastifyRequest,
  cookie: SessionCookie,
): SessionCredential {
  const scheme = authorizationOf(request);
  if (scheme?.name === "bearer") {
    return B64TOKEN.test(scheme.value)
      ? { via: "bearer", token: scheme.value }
      : { via: "malformed_bearer" };
  }
  const token = cookie.read(request);
  return token === undefined ? { via: "none" } : { via: "cookie", token };
}

/** The token of a credential, or undefined (for the domain, which treats it as "no session"). */
export function tokenOf(credential: SessionCredential): string | undefined {
  return "token" in credential ? credential.token : undefined;
}

/** The challenge sent with a 401 for a refused bearer token (RFC 6750 section 3). */
export function bearerChallenge(error: "invalid_token" | "invalid_request"): string {
  return `Bearer realm="auth-service", error="${error}"`;
}

/** The challenge sent with a 401 for refused Basic credentials (RFC 7617, UTF-8). */
export const BASIC_CHALLENGE = 'Basic realm="auth-service", charset="UTF-8"';

export type BasicCredentials =
  | { kind: "absent" }
  | { kind: "credentials"; email: string; password: string }
  | { kind: "malformed"; reason: string };

/** What a string field may hold, for values that reach us outside the schemas. */
const PLAIN_TEXT = new RegExp(PLAIN_TEXT_PATTERN, "u");

/**
 * `Authorization: Basic base64(email:password)` (RFC 7617): base64 of UTF-8
 * bytes; the email ends at the first colon (an email has none), the password
 * may hold more. Anything else after "Basic" is malformed: not base64, not
 * UTF-8, no colon, an empty part, a control character, or past the lengths
 * the form fields allow.
 */
export function basicCredentialsOf(request: FastifyRequest): BasicCredentials {
  const scheme = authorizationOf(request);
  if (scheme?.name !== "basic") return { kind: "absent" };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(scheme.value) || scheme.value.length % 4 !== 0) {
    return { kind: "malformed", reason: "Basic credentials must be base64" };
  }
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(scheme.value, "base64"));
  } catch {
    return { kind: "malformed", reason: "Basic credentials must be UTF-8" };
  }
  const colon = decoded.indexOf(":");
  if (colon < 1 || colon === decoded.length - 1) {
    return { kind: "malformed", reason: "Basic credentials must be email:password" };
  }
  const email = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (
    email.length > EMAIL_MAX_LENGTH ||
    password.length > PASSWORD_INPUT_MAX_LENGTH ||
    !PLAIN_TEXT.test(decoded)
  ) {
    return { kind: "malformed", reason: "Basic credentials hold a value no field accepts" };
  }
  return { kind: "credentials", email, password };
}

/**
 * True for an API request that only a program could have made: a well-formed
 * `Authorization: Bearer` token and no session cookie. Browsers attach other
 * schemes by themselves (Basic credentials they cached, Negotiate on an
 * intranet, a proxy's own Basic login), so only Bearer counts, and never on
 * the hosted pages, which browsers post.
 */
export function isBearerWithoutCookie(request: FastifyRequest, cookie: SessionCookie): boolean {
  const scheme = authorizationOf(request);
  return (
    scheme?.name === "bearer" &&
    B64TOKEN.test(scheme.value) &&
    !request.url.startsWith("/account") &&
    cookie.read(request) === undefined
  );
}

/** The Authorization header's scheme (lower-cased) and the rest, or undefined when absent. */
function authorizationOf(request: FastifyRequest): { name: string; value: string } | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const space = header.indexOf(" ");
  if (space < 0) return { name: header.toLowerCase(), value: "" };
  return { name: header.slice(0, space).toLowerCase(), value: header.slice(space + 1).trim() };
}

/**
 * The answer when a request has no live session: 403 as the original did for
 * a missing or unknown cookie; for a bearer token, 401 with RFC 6750's
 * challenge (400 when the header is malformed), so API clients know to
 * authenticate again.
 */
export function sendNotSignedIn(reply: FastifyReply, credential: SessionCredential): FastifyReply {
  if (credential.via === "bearer") {
    reply.header("www-authenticate", bearerChallenge("invalid_token"));
    return sendError(reply, 401, "invalid_token", "the bearer token is not a live session");
  }
  if (credential.via === "malformed_bearer") {
    reply.header("www-authenticate", bearerChallenge("invalid_request"));
    return sendError(reply, 400, "invalid_request", "Authorization: Bearer needs a token");
  }
  return sendNoSession(reply);
}

/**
 * The signed-in user of a request (cookie or bearer token), its answers
 * made uncacheable; or null, with the refusal already sent.
 */
export async function signedInOrRefuse(
  auth: Pick<Accounts, "signedIn">,
  cookie: SessionCookie,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ current: SignedIn; credential: SessionCredential } | null> {
  const credential = sessionCredentialOf(request, cookie);
  const current = await auth.signedIn(tokenOf(credential));
  if (!current) {
    sendNotSignedIn(reply, credential);
    return null;
  }
  reply.header("cache-control", "no-store");
  return { current, credential };
}
