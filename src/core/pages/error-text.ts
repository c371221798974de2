import { AuthError, type AuthErrorCode } from "../errors.js";
import type { PageContext } from "./page-context.js";
import type { CoreKey } from "./words.js";

/**
 * The pages' own words for each domain error, by its code (the JSON API
 * keeps the domain's English message). A Record over the closed code set: a
 * new code without its message here does not compile. Each message takes the
 * error's params (a rule, a limit, minutes to wait).
 */
const ERROR_MESSAGES: Readonly<Record<AuthErrorCode, CoreKey>> = {
  not_found: "error.not_found",
  invalid_request: "error.invalid_request",
  invalid_attribute: "error.invalid_attribute",
  email_taken: "error.email_taken",
  invalid_email: "error.invalid_email",
  invalid_password: "error.invalid_password",
  invalid_reset_token: "error.invalid_reset_token",
  reset_token_email_mismatch: "error.reset_token_email_mismatch",
  unknown_email: "error.unknown_email",
  unavailable: "error.unavailable",
  throttled: "error.throttled",
  busy: "error.busy",
  mfa_required: "error.mfa_required",
  invalid_code: "error.invalid_code",
  invalid_mfa_token: "error.invalid_mfa_token",
  mfa_already_enabled: "error.mfa_already_enabled",
  mfa_not_enabled: "error.mfa_not_enabled",
  email_not_verified: "error.email_not_verified",
  invalid_verification_token: "error.invalid_verification_token",
  same_email: "error.same_email",
  invalid_passkey: "error.invalid_passkey",
  passkey_exists: "error.passkey_exists",
  passkey_limit: "error.passkey_limit",
  reauthentication_required: "error.reauthentication_required",
  user_verification_required: "error.user_verification_required",
  identity_taken: "error.identity_taken",
  last_way_in: "error.last_way_in",
};

/** What a page says for a domain error, in its language. */
export function errorText(ctx: PageContext, error: AuthError): string {
  return ctx.t(ERROR_MESSAGES[error.code], error.params);
}

export { AuthError };
