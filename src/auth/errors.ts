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
  | "busy";

/** Base class of every error the library throws on purpose. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
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

/** The email is not acceptable (empty, malformed, too long). */
export class InvalidEmailError extends AuthError {
  constructor(message: string) {
    super("invalid_email", message);
  }
}

/** The password breaks the configured policy; the message says which rule. */
export class InvalidPasswordError extends AuthError {
  constructor(message: string) {
    super("invalid_password", message);
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

/** Too many attempts of some kind; the caller may try again after `retryAfterMs`. */
export class ThrottledError extends AuthError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super("throttled", message);
    this.retryAfterMs = retryAfterMs;
  }
}
