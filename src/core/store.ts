import type { MfaChallengeStore } from "./second-step.js";
import type { StoredSession } from "./session.js";
import type { ErasedUser } from "./store/erasure.js";
import type { ThrottleStore } from "./throttle.js";
import type { Transaction, TransactionRunner } from "./unit-of-work.js";
import type { User, UserRecord } from "./user.js";

/** What a user can be looked up by. `email` matches case-insensitively. */
export interface UserCriteria {
  id?: number | null;
  email?: string | null;
  hashedPassword?: string | null;
  createdAt?: Date | null;
  updatedAt?: Date | null;
}

/** What can be changed on a user. */
export interface UserChanges {
  email?: string;
  hashedPassword?: string;
}

/** A user as an operator lists it: never the hash. */
export interface UserSummary extends User {
  sessions: number;
}

export interface NewSession {
  publicId: string;
  tokenHash: string;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Everything the domain needs from persistence, and nothing more: one narrow
 * interface (as Lucia's Adapter), implemented once over Kysely for SQLite and
 * PostgreSQL. Dates are Dates and ids are numbers whatever the engine.
 *
 * A write that takes `tx` runs in that transaction (a UnitOfWork's, which
 * commits it with the change's audit, webhook and mail rows); without it,
 * it commits on its own.
 */
export interface AuthStore extends ThrottleStore, TransactionRunner {
  /** Logins waiting for their second step. */
  readonly mfaChallenges: MfaChallengeStore;
  /**
   * Brings the schema up to date; safe to call from several processes at once.
   * @returns the names of the migrations this call applied, in order.
   */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Throws UserAlreadyExistsError when the normalized email is taken. */
  insertUser(
    email: string,
    hashedPassword: string,
    now: Date,
    tx?: Transaction,
  ): Promise<UserRecord>;
  /** Every given criterion must match; a null or undefined value never matches. */
  findUser(criteria: UserCriteria): Promise<UserRecord | null>;
  /** False when no user has this id. Throws UserAlreadyExistsError on an email clash. */
  updateUser(id: number, changes: UserChanges, now: Date): Promise<boolean>;
  /** Users in id order after `afterId`, each with its count of sessions live at `now`. */
  listUsers(options: { limit: number; afterId?: number; now: Date }): Promise<UserSummary[]>;
  /** Deletes the user; its sessions and reset token go with it. False when there was none. */
  deleteUser(id: number, tx?: Transaction): Promise<boolean>;
  /**
   * Deletes everything kept of the user (store/erasure.ts): the user and
   * what references it, its login failures, its queued mail, and the
   * capabilities' erasure steps. False when there was no such user.
   */
  eraseUser(user: ErasedUser, tx?: Transaction): Promise<boolean>;

  insertSession(session: NewSession, tx?: Transaction): Promise<void>;
  findSessionByTokenHash(tokenHash: string): Promise<{ session: StoredSession; user: User } | null>;
  touchSession(sessionId: number, lastSeenAt: Date): Promise<void>;
  /** True when a session was deleted. */
  deleteSessionByTokenHash(tokenHash: string, tx?: Transaction): Promise<boolean>;
  deleteSessionsOfUser(userId: number, tx?: Transaction): Promise<number>;
  /** Ends every session of the user but this one; how many ended. */
  deleteOtherSessionsOfUser(
    userId: number,
    keepSessionId: number,
    tx?: Transaction,
  ): Promise<number>;
  /** The user's sessions still inside their absolute lifetime at `now`, newest first. */
  listSessionsOfUser(userId: number, now: Date): Promise<StoredSession[]>;
  /** True when the user had a session with this public id (now deleted). */
  deleteSessionOfUser(userId: number, publicId: string, tx?: Transaction): Promise<boolean>;
  /**
   * In one transaction: store the new hash, end every session of the user
   * but `keepSessionId`, void logins waiting for their second step, and run
   * the take-back steps (core/store/take-back.ts).
   */
  changePassword(
    userId: number,
    hashedPassword: string,
    keepSessionId: number,
    now: Date,
    tx?: Transaction,
  ): Promise<void>;

  /** Deletes expired sessions and throttling rows. */
  purgeExpired(now: Date, idleCutoff: Date): Promise<void>;
}
