import type { ColumnType } from "kysely";

/**
 * Times are stored as milliseconds since the epoch in a BIGINT, the one type
 * both engines compare and index the same way. pg hands BIGINT back as a
 * string, better-sqlite3 as a number: the store's row mapping turns either into
 * a Date, so these types never leave src/db.
 */
type EpochMillis = ColumnType<number | string, number, number>;
/** pg returns BIGINT/BIGSERIAL as strings; mapped to numbers in the store. Generated on insert. */
type Id = ColumnType<number | string, number | undefined, number>;
type ForeignId = ColumnType<number | string, number, number>;

export interface UsersTable {
  id: Id;
  email: string;
  /** normalizeEmail(email): the unique key that makes emails case-insensitive. */
  email_normalized: string;
  /** Null: an account without a password (it signs in another way). */
  hashed_password: string | null;
  created_at: EpochMillis;
  updated_at: EpochMillis;
  /** Null: the address was never verified (EMAIL_VERIFICATION). */
  email_verified_at: ColumnType<number | string | null, number | null | undefined, number | null>;
}

export interface SessionsTable {
  id: Id;
  public_id: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  user_id: ForeignId;
  created_at: EpochMillis;
  last_seen_at: EpochMillis;
  expires_at: EpochMillis;
  ip: string | null;
  user_agent: string | null;
}

export interface PasswordResetTokensTable {
  id: Id;
  user_id: ForeignId;
  token_hash: string;
  created_at: EpochMillis;
  expires_at: EpochMillis;
  /** 1 when the token went out by mail: completing the reset then proves the address. */
  mailed: ColumnType<number, number | undefined, number>;
}

export interface LoginThrottleTable {
  /** "account:<normalized email>" or "ip:<address>". */
  key: string;
  failures: number;
  window_ends_at: EpochMillis;
  /** 0 when not locked. */
  locked_until: ColumnType<number | string, number | undefined, number>;
}

/** One security-relevant event; never a password, token or hash. */
export interface AuditLogTable {
  id: Id;
  at: EpochMillis;
  /** register, login, logout, reset_requested, reset_completed, password_changed */
  event: string;
  /** success, failure, throttled, busy, taken ... */
  outcome: string;
  /** No foreign key: the trail outlives a deleted user. */
  user_id: ColumnType<number | string | null, number | null, number | null>;
  /** As normalizeEmail() makes it, so one email's events are one indexed lookup. */
  email: string | null;
  ip: string | null;
  user_agent: string | null;
  /** Identical refusals this row stands for (1 for any other event). */
  repeats: ColumnType<number, number | undefined, number>;
}

/** Mail waiting to go out (see mail/outbox-worker.ts); a row is deleted once sent. */
export interface MailOutboxTable {
  id: Id;
  /** The composer that makes its message (src/core/mail-queue.ts MailKind). */
  kind: string;
  email: string;
  created_at: EpochMillis;
  /** INTEGER: a number from both engines. */
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: EpochMillis;
  /** A sender holds the row until then; 0 when nobody does. */
  locked_until: ColumnType<number | string, number | undefined, number>;
  /** pending, or failed once the attempts ran out. */
  status: ColumnType<string, string | undefined, string>;
  last_error: string | null;
  /** The email_tokens row whose token this mail carries (made when it is sent). */
  ref_id: ColumnType<number | string | null, number | null | undefined, number | null>;
  /** The language to write it in (en, de ...); null: DEFAULT_LANGUAGE. */
  language: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A token that verifies an address or confirms a change of it; only its SHA-256. */
export interface EmailTokensTable {
  id: Id;
  user_id: ForeignId;
  /** "verify" (the user's address) or "change" (to `email`). */
  purpose: string;
  /** The address it proves. */
  email: string;
  email_normalized: string;
  token_hash: string;
  /** A change keeps the session that asked for it; the user's others end. */
  session_public_id: string | null;
  created_at: EpochMillis;
  expires_at: EpochMillis;
}

/** A key of the admin API; the key itself is never stored, only its SHA-256. */
export interface ApiKeysTable {
  id: Id;
  name: string;
  key_hash: string;
  /** The key's first characters, to recognise it in a list (not enough to use it). */
  display_prefix: string;
  /** Space-separated, e.g. "users:read audit:read". */
  scopes: string;
  created_at: EpochMillis;
  last_used_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  expires_at: ColumnType<number | string | null, number | null | undefined, number | null>;
}

/** A receiver of signed webhooks (auth-service webhook add). */
export interface WebhookEndpointsTable {
  id: Id;
  url: string;
  /** Subscribed event types, space-separated with a space at each end: " user.created session.created ". */
  events: string;
  /** The signing secret, sealed with SecretBox (AES-256-GCM under SECRET_KEY); never in clear. */
  secret_sealed: string;
  created_at: EpochMillis;
  /** Failed attempts in a row; 0 once one is delivered. */
  failures: ColumnType<number, number | undefined, number>;
  /** None of its deliveries is attempted before then (its own backoff); 0 when healthy. */
  retry_at: ColumnType<number | string, number | undefined, number>;
}

/** One event to one endpoint, waiting to be delivered (see webhooks/worker.ts); deleted once delivered. */
export interface WebhookDeliveriesTable {
  id: Id;
  endpoint_id: ForeignId;
  /** The webhook-id header (msg_...): the same on every attempt. */
  message_id: string;
  event_type: string;
  /** The JSON body, exactly as signed and sent at each attempt. */
  payload: string;
  created_at: EpochMillis;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: EpochMillis;
  /** A worker holds the row until then; 0 when nobody does. */
  locked_until: ColumnType<number | string, number | undefined, number>;
  /** pending, or failed once retried for a day. */
  status: ColumnType<string, string | undefined, string>;
  last_error: string | null;
}

/** A user's TOTP factor; at most one each. */
export interface TotpFactorsTable {
  user_id: ColumnType<number | string, number, number>;
  /** The base32 secret sealed with SecretBox (AES-256-GCM under SECRET_KEY); never in clear. */
  secret_sealed: string;
  created_at: EpochMillis;
  /** Null until a code confirmed it: logins ignore a pending factor. */
  enabled_at: EpochMillis | null;
  /** RFC 6238 time step of the last accepted code (a code works once). */
  last_used_step: ColumnType<number | string | null, number | null, number | null>;
}

export interface RecoveryCodesTable {
  id: Id;
  user_id: ForeignId;
  /** scrypt salt, shared by the codes made together. */
  salt: string;
  /** scrypt of the normalized code, base64url. The code itself is never stored. */
  code_hash: string;
  created_at: EpochMillis;
  used_at: EpochMillis | null;
}

/** The second step of a login in progress. */
export interface MfaChallengesTable {
  id: Id;
  /** SHA-256 of the mfa_token, hex. */
  token_hash: string;
  user_id: ForeignId;
  created_at: EpochMillis;
  expires_at: EpochMillis;
  failures: ColumnType<number, number | undefined, number>;
  /** How the login's password step came in ("form", "json", "basic", "page"); null: not said. */
  first_step: ColumnType<string | null, string | null | undefined, never>;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  password_reset_tokens: PasswordResetTokensTable;
  login_throttle: LoginThrottleTable;
  audit_log: AuditLogTable;
  mail_outbox: MailOutboxTable;
  api_keys: ApiKeysTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  totp_factors: TotpFactorsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  email_tokens: EmailTokensTable;
}

export type Dialect = "sqlite" | "postgres";
