import type { FastifyReply } from "fastify";
import { AuthError, type AuthErrorCode } from "../errors.js";
import type { SessionCookie } from "../http/cookies.js";
import { setRetryAfter, statusOf } from "../http/errors.js";
import { formTextField } from "../http/schemas.js";
import { errorText } from "./error-text.js";
import type { PageContext } from "./page-context.js";
import type { FieldName } from "./views.js";

/**
 * What every hosted page's route uses: reading form fields, answering with a
 * page, turning a domain error into the form again with its message.
 */

export type Fields = Record<string, unknown>;

/** Fields arrive as strings from a form; anything else counts as empty. */
export function field(body: Fields | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === "string" ? value : "";
}

/** Form posts: any fields (the page says what is missing), strings of bounded size. */
export const formRoute = {
  schema: {
    hide: true,
    body: {
      type: "object",
      additionalProperties: formTextField,
    },
  },
} as const;

/** A page that takes ?done=<notice> (and the sign-in pages ?return_to=, checked by return-to.ts). */
export const queryRoute = {
  schema: {
    hide: true,
    querystring: { type: "object", properties: { done: { type: "string", maxLength: 32 } } },
  },
} as const;

/** The query of a page that takes ?done= and ?return_to=. */
export interface PageQuery {
  done?: string;
  return_to?: unknown;
}

/** The field an error is about, by its code; `otherwise` for the rest (throttled, busy). */
export function fieldInError(
  code: AuthErrorCode,
  passwordField: FieldName,
  otherwise?: FieldName,
): FieldName | undefined {
  if (code === "invalid_email" || code === "email_taken" || code === "unknown_email")
    return "email";
  if (code === "invalid_password") return passwordField;
  return otherwise;
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(body);
}

/**
 * An expected failure becomes the form again with the page's own words for
 * it (error-text.ts, by code and params); anything else goes on to the error handler.
 */
export function sendFailure(
  reply: FastifyReply,
  ctx: PageContext,
  error: unknown,
  render: (message: string, code: AuthErrorCode) => string,
): FastifyReply {
  if (!(error instanceof AuthError)) throw error;
  setRetryAfter(reply, error);
  return sendPage(reply, statusOf(error), render(errorText(ctx, error), error.code));
}

/** The status and words of an expected failure (Retry-After set); anything else is thrown on. */
export function failureOf(
  reply: FastifyReply,
  ctx: PageContext,
  error: unknown,
): { status: number; message: string; code: AuthErrorCode } {
  if (!(error instanceof AuthError)) throw error;
  setRetryAfter(reply, error);
  return { status: statusOf(error), message: errorText(ctx, error), code: error.code };
}

/**
 * A change refused at its current-password check for want of a session: none
 * (log in), or the one too many wrong passwords ended (the cookie goes, and
 * the login page says why).
 */
export function sendSessionGone(
  reply: FastifyReply,
  cookie: SessionCookie,
  outcome: "no_session" | "session_ended" | "code_required" | "wrong_code",
): FastifyReply {
  // A change behind a second factor answers its code outcomes itself; a
  // check without one (a password change) never gives them.
  if (outcome === "code_required" || outcome === "wrong_code")
    throw new Error(`unexpected reauthentication outcome ${outcome}`);
  if (outcome === "no_session") return reply.redirect("/account/login", 303);
  cookie.clear(reply);
  return reply.redirect("/account/login?done=session-ended", 303);
}
