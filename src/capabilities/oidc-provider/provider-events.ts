import type Provider from "oidc-provider";
import type { AuthEventListener } from "../../core/events.js";
import { DEVICE_CODE_GRANT } from "./clients.js";
import type { SubjectStore } from "./store.js";

/** The grant types counted by name; anything else is "other" (bounded metric labels). */
const GRANT_TYPES: Readonly<Record<string, string>> = {
  authorization_code: "authorization_code",
  refresh_token: "refresh_token",
  client_credentials: "client_credentials",
  [DEVICE_CODE_GRANT]: "device_code",
};

/** The endpoints whose refusals are counted as `request` errors (the token endpoint's are `grant`). */
const REQUEST_ERRORS = [
  "authorization.error",
  "backchannel.error",
  "code_verification.error",
  "device_authorization.error",
  "discovery.error",
  "end_session.error",
  "introspection.error",
  "jwks.error",
  "pushed_authorization_request.error",
  "revocation.error",
  "userinfo.error",
] as const;

/** An OAuth error code as the protocol spells them, else "other": never free text in a label. */
function codeOf(error: unknown): string {
  const code = (error as { error?: unknown } | undefined)?.error;
  return typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? code : "other";
}

interface ProviderContext {
  oidc?: {
    params?: Record<string, unknown>;
    client?: { clientId: string };
    account?: { userId?: number; email?: string };
  };
}

/**
 * Turns what oidc-provider reports into the service's AuthEvents (metrics,
 * audit, webhooks): tokens issued by grant type, with the user for a user's
 * grant (findAccount puts it on the account); refused grants, other
 * refusals and server errors by their OAuth code.
 */
export function reportProviderEvents(provider: Provider, emit: AuthEventListener): void {
  // Its typings name each event's listener apart; all are plain EventEmitter events.
  const events = provider as unknown as {
    on(name: string, listener: (ctx: ProviderContext, error?: unknown) => void): void;
  };
  events.on("grant.success", (ctx: ProviderContext) => {
    const grantType = String(ctx.oidc?.params?.grant_type ?? "");
    const account = ctx.oidc?.account;
    emit({
      type: "oauth_grant",
      grantType: GRANT_TYPES[grantType] ?? "other",
      clientId: ctx.oidc?.client?.clientId ?? "",
      ...(account?.userId === undefined ? {} : { userId: account.userId, email: account.email }),
    });
  });
  events.on("grant.error", (_ctx: unknown, error: unknown) =>
    emit({ type: "oauth_error", kind: "grant", error: codeOf(error) }),
  );
  events.on("server_error", () =>
    emit({ type: "oauth_error", kind: "server", error: "server_error" }),
  );
  for (const name of REQUEST_ERRORS)
    events.on(name, (_ctx: unknown, error: unknown) =>
      emit({ type: "oauth_error", kind: "request", error: codeOf(error) }),
    );
}

/** A token revoked at the revocation endpoint, with its user when it was a user's. */
export async function reportRevocation(
  token: { clientId?: string; accountId?: string },
  subjects: SubjectStore,
  emit: AuthEventListener,
): Promise<void> {
  const account = token.accountId ? await subjects.accountBySubject(token.accountId) : null;
  emit({
    type: "oauth_token_revoked",
    reason: "revocation",
    clientId: token.clientId,
    ...(account ? { userId: account.userId, email: account.email } : {}),
  });
}
