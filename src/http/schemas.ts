import { TOKEN_MAX_LENGTH } from "../auth/token.js";
import { EMAIL_MAX_LENGTH } from "../auth/user.js";

/**
 * Field schemas shared by the routes. Lengths are capped here, before any
 * hashing, so no request can make us hash a megabyte. The password policy
 * itself (minimum, maximum, bcrypt's 72 bytes) is the domain's.
 */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

export const emailField = { type: "string", minLength: 1, maxLength: EMAIL_MAX_LENGTH } as const;
export const passwordField = {
  type: "string",
  minLength: 1,
  maxLength: PASSWORD_INPUT_MAX_LENGTH,
} as const;
export const tokenField = { type: "string", minLength: 1, maxLength: TOKEN_MAX_LENGTH } as const;

/** A body of exactly these string fields: missing, extra or non-string fields are refused. */
export function fieldsBody<const K extends string>(
  fields: Record<K, { type: "string"; minLength: number; maxLength: number }>,
) {
  return {
    type: "object",
    required: Object.keys(fields),
    additionalProperties: false,
    properties: fields,
  } as const;
}

/** Every error answer: a human-readable message and a stable code. */
export const errorResponse = {
  type: "object",
  required: ["message"],
  properties: { message: { type: "string" }, error: { type: "string" } },
} as const;

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

export interface EmailPasswordBody {
  email: string;
  password: string;
}
