import type { CompiledQuery, Kysely } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import type { StoredSession } from "../session.js";
import type { User } from "../user.js";
import { toDate, toDateOrNull, toStoredSession } from "./row-mapping.js";

/**
 * The query behind every authenticated request, compiled once: building
 * and compiling it per request cost more CPU than running it (measured).
 * Each call binds the token hash as its only parameter.
 *
 * The hash is named only inside a subquery. SQLite plans a join with the
 * parameters of its WHERE in view, and then marks the statement to be
 * prepared again whenever its bindings are cleared, which better-sqlite3
 * does after every run: the join form was prepared anew on each request,
 * 24.7 us a lookup against 6.9 for this one (bench/sqlite-joins.ts).
 */
export function compileSessionByTokenHash(db: Kysely<Database>) {
  return db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select([
      "sessions.id as session_id",
      "sessions.public_id",
      "sessions.user_id",
      "sessions.created_at as session_created_at",
      "sessions.last_seen_at",
      "sessions.expires_at",
      "sessions.ip",
      "sessions.user_agent",
      "users.email",
      "users.created_at as user_created_at",
      "users.updated_at as user_updated_at",
      "users.email_verified_at",
    ])
    .where("sessions.id", "=", (eb) =>
      eb
        .selectFrom("sessions as by_hash")
        .select("by_hash.id")
        .where("by_hash.token_hash", "=", ""),
    )
    .compile();
}

export type SessionLookupRow =
  ReturnType<typeof compileSessionByTokenHash> extends CompiledQuery<infer Row> ? Row : never;

/** A row of the session query as the domain wants it. */
export function toSessionLookup(row: SessionLookupRow): { session: StoredSession; user: User } {
  return {
    session: toStoredSession({
      id: row.session_id,
      public_id: row.public_id,
      user_id: row.user_id,
      created_at: row.session_created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      ip: row.ip,
      user_agent: row.user_agent,
    }),
    user: {
      id: Number(row.user_id),
      email: row.email,
      createdAt: toDate(row.user_created_at),
      updatedAt: toDate(row.user_updated_at),
      emailVerifiedAt: toDateOrNull(row.email_verified_at),
    },
  };
}
