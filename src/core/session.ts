import type { AuthSettings } from "./settings.js";

/** A session as the store keeps it: the token itself is never stored, only its hash. */
export interface StoredSession {
  id: number;
  /** A random identifier safe to show the user (listing and revoking sessions). */
  publicId: string;
  userId: number;
  createdAt: Date;
  lastSeenAt: Date;
  /** The absolute end: login time plus the absolute lifetime. */
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** A session as its user sees it in their list: a public id, never the token. */
export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The session making the request. */
  current: boolean;
}

/** What a session shows of itself: its public id, never the token or its hash. */
export function toSessionInfo(session: StoredSession, currentId?: number): SessionInfo {
  return {
    id: session.publicId,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

/**
 * How a password login came in: a form post (the original's clients), a JSON
 * body or Basic credentials (programs), or the hosted login page. Kept with
 * an mfa_token, so the second step answers as that login would have.
 */
export type LoginWay = "form" | "json" | "basic" | "page";

/** Who opened a session, recorded for the user's own list of sessions. */
export interface SessionClient {
  ip?: string | null;
  userAgent?: string | null;
  /** How a login came in, where the caller knows. */
  way?: LoginWay;
  /** The language the client reads (the pages' switcher, else Accept-Language): its mails are written in it. */
  language?: string | undefined;
}

export type SessionPolicy = Pick<
  AuthSettings,
  "sessionAbsoluteLifetime" | "sessionIdleTimeout" | "sessionRenewInterval"
>;

/** 512 characters is longer than any real user agent; the rest is noise we need not keep. */
export const USER_AGENT_MAX_LENGTH = 512;

/**
 * What to do with a session found by its token:
 * - "expired": past its absolute end or idle for longer than the idle timeout;
 * - "renew": valid, and its last-seen time is old enough to be worth a write;
 * - "valid": valid, and the write can wait (most reads end here).
 */
export function sessionState(
  session: Pick<StoredSession, "lastSeenAt" | "expiresAt">,
  now: Date,
  policy: SessionPolicy,
): "expired" | "renew" | "valid" {
  const nowMs = now.getTime();
  if (nowMs >= session.expiresAt.getTime()) return "expired";
  const idleFor = nowMs - session.lastSeenAt.getTime();
  if (idleFor >= policy.sessionIdleTimeout) return "expired";
  return idleFor >= policy.sessionRenewInterval ? "renew" : "valid";
}

/** The absolute end of a session opened now. */
export function sessionExpiry(now: Date, policy: SessionPolicy): Date {
  return new Date(now.getTime() + policy.sessionAbsoluteLifetime);
}
