/**
 * Every expected failure of the domain carries one of these codes. The HTTP
 * layer maps each code to a status in one table (src/http/errors.ts), so a new
 * code cannot be added without deciding how it is answered.
 */
export type AuthErrorCode =
  | "not_found"
  | "invalid_request"
  | "invalid_attribute"
  | "email_taken"
  | "invalid_email"
  | "invalid_password"
  | "invalid_reset_token"
  | "reset_token_email_mismatch"
  | "unknown_email"
  | "unavailable"
  | "throttled"
  | "busy"
  | "mfa_required"
  | "invalid_code"
  | "invalid_mfa_token"
  | "mfa_already_enabled"
  | "mfa_not_enabled"
  | "email_not_verified"
  | "invalid_verification_token"
  | "same_email"
  | "invalid_passkey"
  | "user_verification_required"
  | "reauthentication_required"
  | "passkey_exists"
  | "passkey_limit"
  | "identity_taken"
  | "last_way_in";

/**
 * The variable parts of an error's message, by name (a rule, a limit): the
 * hosted pages say it in their own words from the code and these
 * (core/pages/error-text.ts); the message stays the API's English.
 */
export type AuthErrorParams = Readonly<Record<string, string | number>>;

/** Base class of every error the library throws on purpose. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly params: AuthErrorParams;

  constructor(
    code: AuthErrorCode,
    message: string,
    options?: ErrorOptions,
    params: AuthErrorParams = {},
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.params = params;
  }
}

/** No row matches the criteria (the original's `sqlalchemy.orm.exc.NoResultFound`). */
export class NoResultFound extends AuthError {
  constructor(message = "no user matches the criteria") {
    super("not_found", message);
  }
}

/** A criterion names no column, or the criteria are empty (the original's `InvalidRequestError`). */
export class InvalidRequestError extends AuthError {
  constructor(message: string) {
    super("invalid_request", message);
  }
}

/** An update names something that is not a user attribute (the original's `ValueError`). */
export class ValueError extends AuthError {
  constructor(message: string) {
    super("invalid_attribute", message);
  }
}

/** The email is already registered (checked by the database's unique index). */
export class UserAlreadyExistsError extends AuthError {
  constructor(email: string) {
    super("email_taken", `User ${email} already exists`);
  }
}

/** Which rule an email breaks, for the pages' words. */
export type EmailRule =
  | "empty"
  | "too_long"
  | "characters"
  | "hidden"
  | "syntax"
  | "domain"
  | "unmailable";

/** The email is not acceptable (empty, malformed, too long); `rule` (and `limit`) say why. */
export class InvalidEmailError extends AuthError {
  constructor(message: string, rule: EmailRule = "syntax", limit?: number) {
    super("invalid_email", message, undefined, limit === undefined ? { rule } : { rule, limit });
  }
}

/** Which rule a password breaks, for the pages' words. */
export type PasswordRule = "too_short" | "too_long" | "too_many_bytes" | "common" | "from_email";

/** The password breaks the configured policy; the message says which rule, `rule` and `limit` too. */
export class InvalidPasswordError extends AuthError {
  constructor(message: string, rule?: PasswordRule, limit?: number) {
    const params: AuthErrorParams =
      rule === undefined ? {} : limit === undefined ? { rule } : { rule, limit };
    super("invalid_password", message, undefined, params);
  }
}

/** A reset token is unknown, used, expired, or belongs to another email. */
export class InvalidResetTokenError extends AuthError {
  constructor(
    code: "invalid_reset_token" | "reset_token_email_mismatch" = "invalid_reset_token",
    message = "invalid or expired reset token",
  ) {
    super(code, message);
  }
}

/** No user has this email (asking for a reset token, for instance). */
export class UnknownEmailError extends AuthError {
  constructor() {
    super("unknown_email", "no user with this email");
  }
}

/** The database cannot be reached or is too busy to answer in time; the request may be retried. */
export class ServiceUnavailableError extends AuthError {
  /** `cause`: the driver's error, for operators (never shown to clients). */
  constructor(message = "database unavailable, try again shortly", options?: ErrorOptions) {
    super("unavailable", message, options);
  }
}

/** What was asked too often, for the pages' words. */
export type ThrottledWhat = "login" | "reset" | "verification" | "email_change" | "registration";

/**
 * Too many attempts of some kind; the caller may try again after `retryAfterMs`.
 * One that names no kind (passkey options, device codes) is "other": the
 * pages' message selects its words by `what`, which must have a value.
 */
export class ThrottledError extends AuthError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, what?: ThrottledWhat) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    super("throttled", message, undefined, { what: what ?? "other", minutes });
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The password was right, and the account has a second factor: no session
 * yet. `mfaToken` finishes the login with a code (Auth.completeLogin).
 */
export class SecondFactorRequiredError extends AuthError {
  readonly mfaToken: string;
  readonly email: string;

  constructor(mfaToken: string, email: string) {
    super("mfa_required", "a second factor is required: send a code with the mfa_token");
    this.mfaToken = mfaToken;
    this.email = email;
  }
}

/** A TOTP or recovery code that is wrong, used already, or out of its time window. */
export class InvalidCodeError extends AuthError {
  constructor(message = "invalid code") {
    super("invalid_code", message);
  }
}

/** An mfa_token that is unknown, used, expired, or spent by too many wrong codes. */
export class InvalidMfaTokenError extends AuthError {
  constructor() {
    super("invalid_mfa_token", "invalid or expired mfa_token: log in again");
  }
}

/** Setting up a factor that is on already, or turning off one that is not. */
export class SecondFactorStateError extends AuthError {
  constructor(code: "mfa_already_enabled" | "mfa_not_enabled") {
    super(
      code,
      code === "mfa_already_enabled"
        ? "two-factor authentication is already on: turn it off first"
        : "two-factor authentication is not on",
    );
  }
}

/** EMAIL_VERIFICATION=required and the right password on an account whose address is not verified. */
export class EmailNotVerifiedError extends AuthError {
  /** False where links are handed back instead of mailed (development): none went out. */
  readonly mailed: boolean;

  constructor(mailed = true) {
    super(
      "email_not_verified",
      mailed
        ? "verify your email address first: follow the link mailed to it, or ask for a new one"
        : "verify your email address first: development mode mails no link; ask for a new one, and its token comes back in the answer",
    );
    this.mailed = mailed;
  }
}

/** A verification or email-change token that is unknown, used, expired, or no longer for this address. */
export class InvalidVerificationTokenError extends AuthError {
  constructor() {
    super("invalid_verification_token", "invalid or expired link: ask for a new one");
  }
}

/** An email change to the address the account already has. */
export class SameEmailError extends AuthError {
  constructor() {
    super("same_email", "that is already this account's email");
  }
}

/** A passkey response refused: it does not verify, or it is not enough for what it was sent for. */
export class PasskeyError extends AuthError {
  constructor(
    code:
      | "invalid_passkey"
      | "user_verification_required"
      | "reauthentication_required"
      | "passkey_exists"
      | "passkey_limit",
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * A linked identity refused: it belongs to another account already
 * (identity_taken), or unlinking it would leave the account with no way in
 * (last_way_in: no password, no other identity, no passkey).
 */
export class IdentityError extends AuthError {
  constructor(code: "identity_taken" | "last_way_in", message: string) {
    super(code, message);
  }
}
