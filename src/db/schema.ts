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
  hashed_password: string;
  created_at: EpochMillis;
  updated_at: EpochMillis;
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
  /** Unique: a user has at most one live reset token; a new one replaces it. */
  user_id: ForeignId;
  token_hash: string;
  created_at: EpochMillis;
  expires_at: EpochMillis;
}

export interface LoginThrottleTable {
  /** "account:<normalized email>" or "ip:<address>". */
  key: string;
  failures: number;
  window_ends_at: EpochMillis;
  /** 0 when not locked. */
  locked_until: ColumnType<number | string, number | undefined, number>;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  password_reset_tokens: PasswordResetTokensTable;
  login_throttle: LoginThrottleTable;
}

export type Dialect = "sqlite" | "postgres";
