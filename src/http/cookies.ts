import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthMode } from "../auth/settings.js";

export const SESSION_COOKIE = "session_id";

/**
 * `session_id=<token>; Path=/; HttpOnly; SameSite=Lax` (+ `Secure` in
 * production), as the contract asks. No Max-Age: the server decides when a
 * session ends (absolute lifetime, idle timeout), so the browser copy is a
 * session cookie that a closed browser forgets.
 */
function cookieOptions(mode: AuthMode) {
  return { path: "/", httpOnly: true, sameSite: "lax", secure: mode === "production" } as const;
}

export function setSessionCookie(reply: FastifyReply, token: string, mode: AuthMode): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(mode));
}

/** `session_id=; Max-Age=0; ...`: the browser drops it at once. */
export function clearSessionCookie(reply: FastifyReply, mode: AuthMode): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(mode));
}

export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return request.server.parseCookie(header)[SESSION_COOKIE];
}
