import { errorResponse, PLAIN_TEXT_PATTERN } from "../../platform/http/base-schemas.js";
import { TOKEN_MAX_LENGTH } from "../token.js";
import { EMAIL_MAX_LENGTH } from "../user.js";

export { errorResponse, PLAIN_TEXT_PATTERN } from "../../platform/http/base-schemas.js";

/**
 * Field schemas shared by the routes. Lengths are capped here, before any
 * hashing, so no request can make us hash a megabyte. The password policy
 * itself (minimum, maximum, bcrypt's 72 bytes) is the domain's.
 */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

export const emailField = {
  type: "string",
  minLength: 1,
  maxLength: EMAIL_MAX_LENGTH,
  pattern: PLAIN_TEXT_PATTERN,
} as const;
export const passwordField = {
  type: "string",
  minLength: 1,
  maxLength: PASSWORD_INPUT_MAX_LENGTH,
  pattern: PLAIN_TEXT_PATTERN,
} as const;
export const tokenField = {
  type: "string",
  minLength: 1,
  maxLength: TOKEN_MAX_LENGTH,
  pattern: PLAIN_TEXT_PATTERN,
} as const;

/** `:id` of a session in a path (`DELETE /sessions/:id`, the page's revoke button). */
export const sessionIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64, pattern: PLAIN_TEXT_PATTERN } },
} as const;

/** A field of a hosted page's form: any name, plain text of bounded size. */
export const formTextField = {
  type: "string",
  maxLength: 1024,
  pattern: PLAIN_TEXT_PATTERN,
} as const;

type StringField = { type: "string"; minLength: number; maxLength: number; pattern: string };
type FieldSchema = StringField | typeof secondFactorProofField;

/**
 * A body of exactly these string fields, and any of the `optional` ones:
 * missing, extra or non-string fields are refused.
 */
export function fieldsBody<const K extends string, const O extends string = never>(
  fields: Record<K, FieldSchema>,
  optional?: Record<O, FieldSchema>,
) {
  return {
    type: "object",
    required: Object.keys(fields),
    additionalProperties: false,
    properties: { ...fields, ...optional } as Record<K | O, FieldSchema>,
  } as const;
}

/** A TOTP code (6 digits) or a recovery code as typed (`xxxxx-xxxxx`, spaces allowed). */
export const secondFactorCodeField = {
  type: "string",
  minLength: 1,
  maxLength: 32,
  pattern: PLAIN_TEXT_PATTERN,
} as const;

/**
 * What proves a second factor before a sensitive change or at a login's
 * second step: a code as typed, or a passkey assertion (an object in JSON,
 * its JSON text in a form), which the domain reads (SecondFactorCodes.check).
 */
export const secondFactorProofField = {
  anyOf: [
    secondFactorCodeField,
    {
      type: "string",
      minLength: 2,
      maxLength: 32 * 1024,
      pattern: "^ *\\{[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]*$",
    },
    { type: "object", required: ["id", "response"] },
  ],
} as const;

/** An answer that is only a human-readable message (errors use errorResponse, which adds a code). */
export const messageResponse = {
  type: "object",
  required: ["message"],
  properties: { message: { type: "string" } },
} as const;

export const emailMessageResponse = {
  type: "object",
  required: ["email", "message"],
  properties: { email: { type: "string" }, message: { type: "string" } },
} as const;

/**
 * A login's answer: the form's (the original's), and, for a program that
 * logged in with Basic credentials (or, at the second step, Basic or JSON),
 * the session token beside it.
 */
export const loginResponse = {
  ...emailMessageResponse,
  properties: { ...emailMessageResponse.properties, session_token: { type: "string" } },
} as const;

export interface EmailPasswordBody {
  email: string;
  password: string;
}

/** The refusals a route of the newer capabilities may answer, each in the one error shape. */
export const refusals = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  409: errorResponse,
  429: errorResponse,
  503: errorResponse,
} as const;
