/*
 * The audit trail's read model: what the audit capability records for each
 * domain event, and how others (the admin API, the CLI) ask for it without
 * knowing how it is kept.
 */

export type AuditEventName =
  | "register"
  | "login"
  | "logout"
  | "reset_requested"
  | "reset_completed"
  | "password_changed"
  | "reauthentication"
  | "user_deleted"
  | "sessions_revoked"
  | "mfa_enabled"
  | "mfa_disabled"
  | "mfa_recovery_codes_renewed"
  | "mfa_reset_by_operator"
  | "mfa_challenge"
  | "recovery_code_used"
  | "email_verified"
  | "email_change_requested"
  | "email_changed"
  | "passkey_added"
  | "passkey_renamed"
  | "passkey_removed"
  | "passkey_used"
  | "passkey_refused"
  | "social_login"
  | "identity_linked"
  | "identity_unlinked"
  | "oauth_client_created"
  | "oauth_client_deleted"
  | "oauth_consent_granted"
  | "oauth_grant_issued"
  | "oauth_token_revoked"
  | "provider_added"
  | "provider_removed";

/** One row of the audit trail. Never a password, a token or a hash. */
export interface AuditEntry {
  at: Date;
  event: AuditEventName;
  outcome: string;
  userId: number | null;
  /** Normalized (normalizeEmail), so one person's events are found under one key. */
  email: string | null;
  ip: string | null;
  userAgent: string | null;
  /**
   * How many identical events this row stands for: 1, except for the rows
   * that sum up refusals repeated from one address (see AuditTrail).
   */
  repeats: number;
}

export interface AuditQuery {
  /** Matched after normalizeEmail. */
  email?: string;
  /** A user's rows: those with its id, or with its (current) email. */
  user?: { id: number; email: string };
  since?: Date;
  limit?: number;
}

/** Reads the audit trail, oldest first. */
export interface AuditReader {
  list(query: AuditQuery): Promise<AuditEntry[]>;
}
