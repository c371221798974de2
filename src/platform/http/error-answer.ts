import type { FastifyReply } from "fastify";
import { PLAIN_TEXT_PATTERN } from "./base-schemas.js";

/** Codes of failures that HTTP itself finds, before or beside any domain rule. */
export type PlatformErrorCode =
  | "invalid_request"
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
  | "internal_error";

export interface ErrorBody {
  message: string;
  error?: string;
}

/** Sends the one error shape: `{"message": ..., "error": <code>}`. */
export function sendError<Code extends string = PlatformErrorCode>(
  reply: FastifyReply,
  status: number,
  code: Code,
  message: string,
): FastifyReply {
  return reply.code(status).send({ message, error: code } satisfies ErrorBody);
}

export interface ValidationIssue {
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
  code: PlatformErrorCode;
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
