export {
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  type ApiKeyCheck,
  ApiKeyNameTakenError,
  type ApiKeyRecord,
  type ApiKeyScope,
  ApiKeys,
} from "./auth/api-keys.js";
export type { AuditEntry, AuditQuery } from "./auth/audit.js";
export { Auth, type AuthDependencies, type LoginResult } from "./auth/auth.js";
export { EmailAddresses } from "./auth/email-addresses.js";
export type { EmailTokenStore } from "./auth/email-token-store.js";
export {
  AuthError,
  type AuthErrorCode,
  EmailNotVerifiedError,
  InvalidCodeError,
  InvalidEmailError,
  InvalidMfaTokenError,
  InvalidPasswordError,
  InvalidRequestError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  NoResultFound,
  PasskeyError,
  SameEmailError,
  SecondFactorRequiredError,
  SecondFactorStateError,
  ServiceUnavailableError,
  ThrottledError,
  UnknownEmailError,
  UserAlreadyExistsError,
  ValueError,
} from "./auth/errors.js";
export type { AuthEvent, AuthEventListener } from "./auth/events.js";
export { ServiceBusyError } from "./auth/limiter.js";
export { PasswordHasher } from "./auth/password.js";
export type { PasswordChangeOutcome } from "./auth/password-change.js";
export { PasswordPolicy } from "./auth/password-policy.js";
export type { ReauthenticationOutcome, SignedIn } from "./auth/reauthentication.js";
export { RegistrationThrottledError } from "./auth/registration-limit.js";
export { ResetThrottledError, VerificationThrottledError } from "./auth/reset-limit.js";
export {
  type Reauthenticated,
  type SecondFactorStatus,
  SecondFactors,
} from "./auth/second-factor.js";
export type { SecondFactorStore } from "./auth/second-factor-store.js";
export type { SessionClient, StoredSession } from "./auth/session.js";
export type {
  AuthMode,
  AuthSettings,
  EmailVerificationMode,
  PasswordHashAlgorithm,
} from "./auth/settings.js";
export { defaultAuthSettings } from "./auth/settings.js";
export type { AuthStore, UserChanges, UserCriteria, UserSummary } from "./auth/store.js";
export { LoginThrottledError } from "./auth/throttle.js";
export type { EventRecorder, Transaction, TransactionRunner } from "./auth/unit-of-work.js";
export type { User, UserRecord } from "./auth/user.js";
export { UserAdmin } from "./auth/user-admin.js";
export {
  type PasskeyInfo,
  type PasskeyStore,
  Passkeys,
} from "./capabilities/passkeys/index.js";
export {
  type AuthService,
  type CreateAuthOptions,
  createAuth,
  type MailOptions,
  type WebAuthnOptions,
} from "./create-auth.js";
export { DB } from "./db/db.js";
export { type AppConfig, type BuildAppOptions, buildApp } from "./http/app.js";
export { Metrics } from "./http/metrics.js";
export type { MailMessage, MailTransport } from "./mail/transport.js";
export { smtpTransport } from "./mail/transport.js";
export { keepTickObjectMapsAlive } from "./tick-object-maps.js";
export {
  InvalidWebhookError,
  Webhooks,
  type WebhooksOptions,
  type WebhookTestReport,
} from "./webhooks/webhooks.js";
