import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import {
  describeValidationError,
  type PlatformErrorCode,
  sendError as sendErrorShape,
  type ValidationIssue,
} from "../../platform/http/error-answer.js";
import { AuthError, type AuthErrorCode, ThrottledError } from "../errors.js";

/** The one table from domain error codes to HTTP status. */
const STATUS_BY_CODE: Record<AuthErrorCode, number> = {
  not_found: 404,
  invalid_request: 400,
  invalid_attribute: 400,
  email_taken: 400,
  invalid_email: 400,
  invalid_password: 400,
  invalid_reset_token: 403,
  reset_token_email_mismatch: 403,
  unknown_email: 403,
  unavailable: 503,
  throttled: 429,
  busy: 503,
  mfa_required: 401,
  invalid_code: 400,
  invalid_mfa_token: 401,
  mfa_already_enabled: 409,
  mfa_not_enabled: 409,
  email_not_verified: 403,
  invalid_verification_token: 400,
  same_email: 400,
  invalid_passkey: 400,
  user_verification_required: 401,
  reauthentication_required: 403,
  passkey_exists: 409,
  passkey_limit: 409,
  identity_taken: 409,
  last_way_in: 409,
};

/** Codes of failures that only HTTP knows about, beside the domain's. */
export type HttpErrorCode =
  | AuthErrorCode
  | PlatformErrorCode
  | "invalid_credentials"
  | "invalid_token"
  | "insufficient_scope"
  | "misdirected_request"
  | "not_authenticated"
  | "session_not_found";

export type { ErrorBody } from "../../platform/http/error-answer.js";

/** Sends the one error shape with one of the service's codes. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: HttpErrorCode,
  message: string,
): FastifyReply {
  return sendErrorShape(reply, status, code, message);
}

/** 403 for a request without a live session (none, unknown, expired or revoked). */
export function sendNoSession(reply: FastifyReply): FastifyReply {
  return sendError(reply, 403, "not_authenticated", "no valid session");
}

/** The HTTP status of a domain error, from the one table. */
export function statusOf(error: AuthError): number {
  return STATUS_BY_CODE[error.code];
}

/** Retry-After for the errors that end by themselves (busy, unavailable, throttled). */
export function setRetryAfter(reply: FastifyReply, error: AuthError): void {
  if (error.code === "unavailable" || error.code === "busy") reply.header("retry-after", "1");
  if (error instanceof ThrottledError) {
    reply.header("retry-after", String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
}

/** The answer to a domain error: its status from the table, its own message. */
export function sendAuthError(reply: FastifyReply, error: AuthError): FastifyReply {
  setRetryAfter(reply, error);
  return sendError(reply, statusOf(error), error.code, error.message);
}

/**
 * Every error that reaches Fastify ends here. Expected ones get their 4xx and
 * a fixed message: parser messages are never echoed, since Node's JSON errors
 * quote the body (and so the password). Anything else is a 500 whose detail
 * goes to the log only.
 */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof AuthError) return sendAuthError(reply, error);
  if (error.validation) {
    return sendError(
      reply,
      400,
      // A path parameter or query string is not a body.
      error.validationContext === "body" ? "invalid_body" : "invalid_request",
      describeValidationError(error.validation as ValidationIssue[]),
    );
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return sendError(reply, 413, "payload_too_large", "request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return sendError(
        reply,
        415,
        "unsupported_media_type",
        "content type must be application/x-www-form-urlencoded or application/json",
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return sendError(reply, 400, "invalid_body", "request body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return sendError(reply, 400, "invalid_body", "request body is not valid JSON");
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const message =
      error instanceof SyntaxError ? "request body is not valid JSON" : describeStatus(status);
    return sendError(reply, status, "invalid_body", message);
  }
  request.log.error({ err: error }, "unexpected error");
  return sendError(reply, 500, "internal_error", "internal error");
}

function describeStatus(status: number): string {
  return (STATUS_CODES[status] ?? "bad request").toLowerCase();
}
