import type { Selectable } from "kysely";
import type { SessionsTable, UsersTable } from "../../platform/db/schema.js";
import type { StoredSession } from "../session.js";
import type { UserRecord } from "../user.js";

// Row <-> domain mapping shared by the Kysely stores: SQLite and PostgreSQL
// differ here (BIGINT arrives as a string from PostgreSQL, unique violations
// carry different codes), and nowhere else.

export function toDate(value: number | string): Date {
  return new Date(Number(value));
}

export function toUserRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    id: Number(row.id),
    email: row.email,
    hashedPassword: row.hashed_password,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    emailVerifiedAt: toDateOrNull(row.email_verified_at),
  };
}

export function toDateOrNull(value: number | string | null): Date | null {
  return value === null ? null : toDate(value);
}

export function toStoredSession(row: Omit<Selectable<SessionsTable>, "token_hash">): StoredSession {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    userId: Number(row.user_id),
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

/** SQLite reports SQLITE_CONSTRAINT_UNIQUE, PostgreSQL SQLSTATE 23505. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
}
