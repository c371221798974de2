import type { FastifyReply, FastifyRequest } from "fastify";
import { clientAddress } from "../../platform/http/client-address.js";
import type { SessionClient } from "../session.js";
import { sendError } from "./errors.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The API key scope an admin route needs ("users:read", "clients:write"). */
    scope?: string;
  }
}

/** A live API key as the gate sees it: its name (the audit's agent) and scopes. */
export interface ApiKeyHolder {
  name: string;
  scopes: readonly string[];
}

/** What checks a presented key (the admin API's ApiKeys). */
export interface ApiKeyChecker {
  check(text: string): Promise<{ ok: true; key: ApiKeyHolder } | { ok: false }>;
}

const REALM = 'Bearer realm="auth-service admin"';

/**
 * The gate of the admin routes under /admin, whichever capability serves
 * them: only `Authorization: Bearer <api key>` opens it (a session cookie
 * never does); no, unknown, revoked or expired key: 401 with
 * WWW-Authenticate; a key without the route's `config.scope`: 403
 * insufficient_scope. Add `hook` as the plugin's onRequest hook.
 */
export function apiKeyGate(keys: ApiKeyChecker) {
  const keyOf = new WeakMap<FastifyRequest, ApiKeyHolder>();
  const hook = async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = request.routeOptions.config.scope;
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? "");
    if (!match?.[1]) {
      reply.header("www-authenticate", REALM);
      return sendError(
        reply,
        401,
        "not_authenticated",
        "the admin API needs an API key as a bearer token",
      );
    }
    const check = await keys.check(match[1]);
    if (!check.ok) {
      reply.header("www-authenticate", `${REALM}, error="invalid_token"`);
      return sendError(reply, 401, "invalid_token", "unknown, revoked or expired API key");
    }
    if (!scope || !check.key.scopes.includes(scope)) {
      reply.header("www-authenticate", `${REALM}, error="insufficient_scope", scope="${scope}"`);
      return sendError(reply, 403, "insufficient_scope", `this key lacks the ${scope} scope`);
    }
    keyOf.set(request, check.key);
  };
  /** The key acting, as the audit trail names it (its agent: "api-key NAME"). */
  const operator = (request: FastifyRequest): SessionClient => ({
    ip: clientAddress(request),
    userAgent: `api-key ${keyOf.get(request)?.name ?? ""}`,
  });
  return { hook, operator };
}
