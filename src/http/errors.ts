import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AuthError, type AuthErrorCode, ThrottledError } from "../auth/errors.js";
import { PLAIN_TEXT_PATTERN } from "./schemas.js";

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
};

/** Codes of failures that only HTTP knows about. */
export type HttpErrorCode =
  | AuthErrorCode
  | "invalid_credentials"
  | "invalid_token"
  | "insufficient_scope"
  | "misdirected_request"
  | "not_authenticated"
  | "invalid_body"
  | "invalid_url"
  | "uri_too_long"
  | "headers_too_large"
  | "request_timeout"
  | "unsupported_media_type"
  | "payload_too_large"
  | "cross_site_request"
  | "route_not_found"
  | "method_not_allowed"
  | "session_not_found"
  | "internal_error";

export interface ErrorBody {
  message: string;
  error?: string;
}

/** Sends the one error shape: `{"message": ..., "error": <code>}`. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: HttpErrorCode,
  message: string,
): FastifyReply {
  return reply.code(status).send({ message, error: code } satisfies ErrorBody);
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

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns the first schema violation into a sentence that names the field. */
export function describeValidationError(issues: readonly ValidationIssue[]): string {
  const issue = issues[0];
  if (!issue) return "invalid request body";
  const field = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
  switch (issue.keyword) {
    case "required":
      return `missing field: ${String(issue.params.missingProperty)}`;
    case "additionalProperties":
      return `unknown field: ${String(issue.params.additionalProperty)}`;
    case "type":
      return field
        ? `${field} must be a ${String(issue.params.type)}`
        : "request body must be form fields or a JSON object";
    case "minLength":
      return `${field} must not be empty`;
    case "maxLength":
      return `${field} must be at most ${String(issue.params.limit)} characters`;
    case "pattern":
      // The fields' shared pattern says what it refuses; the others (numbers
      // and ids in paths and queries) only that the value is not one.
      return issue.params.pattern === PLAIN_TEXT_PATTERN
        ? `${field} must not contain control characters or unpaired surrogates`
        : `${field} is not a valid value`;
    default:
      return field ? `${field} is invalid` : "invalid request body";
  }
}

export interface ErrorAnswer {
  status: number;
  code: HttpErrorCode;
  message: string;
}

/**
 * The answers to failures found before any route runs, by Fastify's router
 * (framework-errors.ts `frameworkErrors`) or by Node's HTTP parser (its
 * `clientError`, keyed by the parser's code). Nothing of the request is echoed:
 * Fastify's own FST_ERR_BAD_URL body quoted the path.
 */
const EARLY_ERRORS = new Map<string, ErrorAnswer>([
  ["FST_ERR_BAD_URL", { status: 400, code: "invalid_url", message: "the URL is not valid" }],
  [
    "FST_ERR_MAX_PARAM_LENGTH",
    { status: 414, code: "uri_too_long", message: "the URL is too long" },
  ],
  [
    "HPE_HEADER_OVERFLOW",
    { status: 431, code: "headers_too_large", message: "request headers are too large" },
  ],
  [
    "HPE_CHUNK_EXTENSIONS_OVERFLOW",
    { status: 413, code: "payload_too_large", message: "chunk extensions are too large" },
  ],
  [
    "ERR_HTTP_REQUEST_TIMEOUT",
    { status: 408, code: "request_timeout", message: "the request did not arrive in time" },
  ],
]);

/** What Node's parser refused otherwise: a malformed request line, header or chunk. */
const MALFORMED_REQUEST: ErrorAnswer = {
  status: 400,
  code: "invalid_request",
  message: "malformed HTTP request",
};

const INTERNAL_ERROR: ErrorAnswer = {
  status: 500,
  code: "internal_error",
  message: "internal error",
};

/** The answer to a failure of Fastify's router (FST_ERR_ASYNC_CONSTRAINT, unexpected, is a 500). */
export function frameworkErrorAnswer(code: string): ErrorAnswer {
  return EARLY_ERRORS.get(code) ?? INTERNAL_ERROR;
}

/** The answer to an error of Node's HTTP parser, by its code (HPE_*, ERR_HTTP_*). */
export function clientErrorAnswer(code: string | undefined): ErrorAnswer {
  return (code !== undefined ? EARLY_ERRORS.get(code) : undefined) ?? MALFORMED_REQUEST;
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
