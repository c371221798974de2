import type { FastifyReply } from "fastify";
import type { LoginResult } from "../accounts.js";
import type { SessionCookie } from "./cookies.js";

/**
 * The answer of a login finished after its first step (or without one: a
 * passkey): the cookie, and the original's body. A program's first step
 * (Basic or JSON credentials) gets the session token in the body, as a Basic
 * login does: it may keep no cookie jar. A form's (and the pages') keeps the
 * original's answer.
 */
export function loggedIn(
  reply: FastifyReply,
  cookie: SessionCookie,
  result: LoginResult,
): { email: string; message: string; session_token?: string } {
  cookie.set(reply, result.sessionToken);
  reply.header("cache-control", "no-store");
  const answer = { email: result.user.email, message: "logged in" };
  const program = result.firstStep === "json" || result.firstStep === "basic";
  return program ? { ...answer, session_token: result.sessionToken } : answer;
}
