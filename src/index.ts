export type { AuditEntry, AuditQuery } from "./auth/audit.js";
export { Auth, type AuthDependencies, type LoginResult } from "./auth/auth.js";
export {
  AuthError,
  type AuthErrorCode,
  InvalidEmailError,
  InvalidPasswordError,
  InvalidRequestError,
  InvalidResetTokenError,
  NoResultFound,
  ServiceUnavailableError,
  ThrottledError,
  UnknownEmailError,
  UserAlreadyExistsError,
  ValueError,
} from "./auth/errors.js";
export type { AuthEvent, AuthEventListener } from "./auth/events.js";
export { PasswordHasher } from "./auth/password.js";
export { PasswordPolicy } from "./auth/password-policy.js";
export type { SessionClient, StoredSession } from "./auth/session.js";
export type { AuthMode, AuthSettings, PasswordHashAlgorithm } from "./auth/settings.js";
export { defaultAuthSettings } from "./auth/settings.js";
export type { AuthStore, UserChanges, UserCriteria } from "./auth/store.js";
export type { User, UserRecord } from "./auth/user.js";
export {
  type AuthService,
  type CreateAuthOptions,
  createAuth,
  type MailOptions,
} from "./create-auth.js";
export { DB } from "./db/db.js";
export { buildApp } from "./http/app.js";
export type { MailMessage, MailTransport } from "./mail/transport.js";
export { smtpTransport } from "./mail/transport.js";
export { keepTickObjectMapsAlive } from "./tick-object-maps.js";
