/**
 * What the domain reports as it works, for metrics now and an audit trail
 * later. The domain only calls a listener; it knows nothing of Prometheus.
 */
export type AuthEvent =
  | { type: "login"; outcome: "success" | "failure" | "throttled" | "busy" }
  | { type: "registration"; outcome: "success" | "taken" }
  | { type: "reset"; stage: "requested" | "completed" }
  | { type: "logout" }
  | { type: "password_changed" }
  | { type: "hash"; operation: "hash" | "verify"; seconds: number };

export type AuthEventListener = (event: AuthEvent) => void;
