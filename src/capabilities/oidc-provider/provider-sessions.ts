import type Provider from "oidc-provider";

/** The cookie that names the browser's provider session (oidc-provider's default). */
export const PROVIDER_SESSION_COOKIE = "_session";

/**
 * How long a provider session that no one has signed in to is kept, in
 * seconds: as long as an interaction. Every anonymous visit of a provider
 * page (the device form, an authorization request before its login step)
 * stores one, and at a signed-in session's lifetime (up to fourteen days) a
 * script fetching the device form in a loop would grow the table for two
 * weeks. oidc-provider saves the session again, with the lifetime this
 * gives then, on the request that signs someone in.
 */
export const ANONYMOUS_SESSION_TTL = 3600;

/** `ttl.Session`: a signed-in session's lifetime, or the anonymous one's. */
export function sessionLifetime(signedIn: number) {
  return (_ctx: unknown, session: { accountId?: string }): number =>
    session.accountId ? signedIn : ANONYMOUS_SESSION_TTL;
}

/**
 * oidc-provider's device form, answering an error to a browser whose session
 * it never stored (a POST whose session cookie names no stored session),
 * writes the new form's xsrf secret on that session and then asks to
 * persist it, which only a stored session can: a TypeError, answered 500 with
 * a stack trace in the log. No cookie names such a session, so there is
 * nothing to keep: it is left unsaved and the error page is answered.
 */
export function persistOnlyStoredSessions(provider: Provider): void {
  const prototype = provider.Session.prototype as unknown as {
    persist(this: { exp?: unknown }): Promise<unknown>;
  };
  const persist = prototype.persist;
  prototype.persist = async function (this: { exp?: unknown }) {
    if (typeof this.exp !== "number") return undefined;
    return persist.call(this);
  };
}
