export { Auth, type AuthDependencies, type LoginResult } from "./auth/auth.js";
export {
  AuthError,
  type AuthErrorCode,
  InvalidEmailError,
  InvalidPasswordError,
  InvalidRequestError,
  InvalidResetTokenError,
  NoResultFound,
  UnknownEmailError,
  UserAlreadyExistsError,
  ValueError,
} from "./auth/errors.js";
export { PasswordHasher } from "./auth/password.js";
export type { SessionClient, StoredSession } from "./auth/session.js";
export type { AuthMode, AuthSettings, PasswordHashAlgorithm } from "./auth/settings.js";
export { defaultAuthSettings } from "./auth/settings.js";
export type { AuthStore, UserChanges, UserCriteria } from "./auth/store.js";
export type { User, UserRecord } from "./auth/user.js";
export { type AuthService, type CreateAuthOptions, createAuth } from "./create-auth.js";
export { DB } from "./db/db.js";
export { buildApp } from "./http/app.js";
