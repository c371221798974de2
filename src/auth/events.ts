import type { SessionClient } from "./session.js";

/** Who an event concerns, as far as the domain knows at that point. */
export interface EventSubject {
  userId?: number | null;
  /** As typed; the audit trail stores it normalized. */
  email?: string | null;
  client?: SessionClient;
}

/**
 * What the domain reports as it works, for metrics and the audit trail. The
 * domain only calls a listener; it knows nothing of Prometheus or tables.
 * Events never carry a password, a token or a hash.
 */
export type AuthEvent =
  | ({ type: "login"; outcome: "success" | "failure" | "throttled" | "busy" } & EventSubject)
  | ({ type: "registration"; outcome: "success" | "taken" | "throttled" | "busy" } & EventSubject)
  | ({ type: "reset"; stage: "requested"; outcome?: "accepted" | "throttled" } & EventSubject)
  | ({ type: "reset"; stage: "completed" } & EventSubject)
  | ({ type: "logout" } & EventSubject)
  | ({ type: "password_changed" } & EventSubject)
  | ({ type: "reauthentication"; outcome: "failure"; sessionEnded: boolean } & EventSubject)
  | ({ type: "user_deleted" } & EventSubject)
  | ({ type: "sessions_revoked"; count: number } & EventSubject)
  | { type: "hash"; operation: "hash" | "verify"; seconds: number };

export type AuthEventListener = (event: AuthEvent) => void;

/** One listener that tells each of these in turn. */
export function fanOut(...listeners: Array<AuthEventListener | undefined>): AuthEventListener {
  const present = listeners.filter((listener) => listener !== undefined);
  return (event) => {
    for (const listener of present) listener(event);
  };
}
