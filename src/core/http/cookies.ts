import type { FastifyReply, FastifyRequest } from "fastify";
import { clientAddress } from "../../platform/http/client-address.js";
import { acceptedLanguage, isLanguage, type Language } from "../../platform/i18n/languages.js";
import type { SessionClient } from "../session.js";

export const DEFAULT_SESSION_COOKIE = "session_id";

/**
 * The session cookie: `session_id=<token>; Path=/; HttpOnly; SameSite=Lax`
 * (+ `Secure` in production), as the contract asks. No Max-Age: the server
 * decides when a session ends (absolute lifetime, idle timeout), so the
 * browser copy is a session cookie that a closed browser forgets.
 *
 * The name is configurable: `__Host-session_id` makes browsers refuse it
 * unless it is Secure, Path=/ and without Domain, so no subdomain and no
 * plain-HTTP page can plant or overwrite it. A prefixed name is always sent
 * Secure, whatever the mode, since browsers drop it otherwise.
 */
export class SessionCookie {
  readonly name: string;
  readonly #options: { path: "/"; httpOnly: true; sameSite: "lax"; secure: boolean };

  constructor(name: string, options: { secure: boolean }) {
    this.name = name;
    const prefixed = name.startsWith("__Host-") || name.startsWith("__Secure-");
    this.#options = {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: options.secure || prefixed,
    };
  }

  set(reply: FastifyReply, token: string): void {
    reply.setCookie(this.name, token, this.#options);
  }

  /** `<name>=; Max-Age=0; ...`: the browser drops it at once. */
  clear(reply: FastifyReply): void {
    reply.clearCookie(this.name, this.#options);
  }

  /** The token the request carries, parsed only here (not on every request). */
  read(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie;
    if (!header) return undefined;
    return request.server.parseCookie(header)[this.name];
  }
}

/** Who is asking, for the session list and the audit trail, and the language of their mails. */
export function clientOf(request: FastifyRequest): SessionClient {
  return {
    ip: clientAddress(request),
    userAgent: request.headers["user-agent"] ?? null,
    language: languageAsked(request),
  };
}

/** The language the pages' switcher chose (its cookie), else Accept-Language's; undefined for neither. */
function languageAsked(request: FastifyRequest): Language | undefined {
  const header = request.headers.cookie;
  const chosen = header ? request.server.parseCookie(header).lang : undefined;
  return isLanguage(chosen) ? chosen : acceptedLanguage(request.headers["accept-language"]);
}
