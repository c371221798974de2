import { Counter, type Registry } from "prom-client";
import type { AuthEvent } from "../events.js";

/**
 * The OpenID provider's counters, in the process's metrics registry: tokens
 * issued by grant type, failures by kind and OAuth error code, and its other
 * events. Fed by the provider's AuthEvents like every other counter.
 */
export class OidcMetrics {
  readonly #grants: Counter<"grant_type">;
  readonly #errors: Counter<"kind" | "error">;
  readonly #events: Counter<"event">;

  constructor(registry: Registry) {
    this.#grants = new Counter({
      name: "auth_oidc_tokens_issued_total",
      help: "OpenID provider: token responses issued, by grant type (authorization_code, refresh_token, client_credentials, device_code)",
      labelNames: ["grant_type"],
      registers: [registry],
    });
    this.#errors = new Counter({
      name: "auth_oidc_errors_total",
      help: "OpenID provider: failures by kind (grant: a token request refused; request: an error answered to another request; server: its own fault) and OAuth error code",
      labelNames: ["kind", "error"],
      registers: [registry],
    });
    this.#events = new Counter({
      name: "auth_oidc_events_total",
      help: "OpenID provider: consents given, tokens revoked (revocation endpoint, take-back), clients created and deleted",
      labelNames: ["event"],
      registers: [registry],
    });
  }

  record(event: AuthEvent): void {
    switch (event.type) {
      case "oauth_grant":
        this.#grants.inc({ grant_type: event.grantType });
        break;
      case "oauth_error":
        this.#errors.inc({ kind: event.kind, error: event.error });
        break;
      case "oauth_consent":
        this.#events.inc({ event: "consent_granted" });
        break;
      case "oauth_token_revoked":
        this.#events.inc({ event: `token_revoked_${event.reason}` });
        break;
      case "oauth_client":
        this.#events.inc({ event: `client_${event.action}` });
        break;
    }
  }
}
