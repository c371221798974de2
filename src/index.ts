export {
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  type ApiKeyCheck,
  ApiKeyNameTakenError,
  type ApiKeyRecord,
  type ApiKeyScope,
  ApiKeys,
} from "./capabilities/admin-api/api-keys.js";
export { UserAdmin } from "./capabilities/admin-api/user-admin.js";
export type { AuditEntry, AuditQuery } from "./capabilities/audit/audit.js";
export { EmailAddresses } from "./capabilities/email-addresses/email-addresses.js";
export type { EmailTokenStore } from "./capabilities/email-addresses/store.js";
export {
  type PasskeyInfo,
  type PasskeyStore,
  Passkeys,
} from "./capabilities/passkeys/index.js";
export {
  type Reauthenticated,
  type SecondFactorStatus,
  SecondFactors,
} from "./capabilities/second-factor/second-factor.js";
export type { SecondFactorStore } from "./capabilities/second-factor/store.js";
export {
  InvalidWebhookError,
  Webhooks,
  type WebhooksOptions,
  type WebhookTestReport,
} from "./capabilities/webhooks/webhooks.js";
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
} from "./core/errors.js";
export type { AuthEvent, AuthEventListener } from "./core/events.js";
export { Metrics } from "./core/http/metrics.js";
export { ServiceBusyError } from "./core/limiter.js";
export {
  ResetThrottledError,
  VerificationThrottledError,
} from "./core/mail-request-limit.js";
export { PasswordHasher } from "./core/password.js";
export type { PasswordChangeOutcome } from "./core/password-change.js";
export { PasswordPolicy } from "./core/password-policy.js";
export type { ReauthenticationOutcome, SignedIn } from "./core/reauthentication.js";
export { RegistrationThrottledError } from "./core/registration-limit.js";
export type { SessionClient, StoredSession } from "./core/session.js";
export type {
  AuthMode,
  AuthSettings,
  EmailVerificationMode,
  PasswordHashAlgorithm,
} from "./core/settings.js";
export { defaultAuthSettings } from "./core/settings.js";
export type { AuthStore, UserChanges, UserCriteria, UserSummary } from "./core/store.js";
export { LoginThrottledError } from "./core/throttle.js";
export type { EventRecorder, Transaction, TransactionRunner } from "./core/unit-of-work.js";
export type { User, UserRecord } from "./core/user.js";
export { type AppConfig, type BuildAppOptions, buildApp } from "./main/app.js";
export { Auth, type AuthDependencies, type LoginResult } from "./main/auth.js";
export {
  type AuthService,
  type CreateAuthOptions,
  createAuth,
  type MailOptions,
} from "./main/create-auth.js";
export { DB } from "./main/db.js";
export type { MailMessage, MailTransport } from "./platform/mail/transport.js";
export { smtpTransport } from "./platform/mail/transport.js";
export { keepTickObjectMapsAlive } from "./platform/runtime/tick-object-maps.js";
