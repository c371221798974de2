import type { PageContext } from "./page-context.js";
import type { CoreKey } from "./words.js";

/**
 * The pages' notices after a redirect (?done=<code>): fixed messages chosen
 * by a code in the query, so nothing from the URL is echoed. A Map, because
 * an object would also answer "constructor" or "__proto__" with what it inherits.
 */
const NOTICES = new Map<string, CoreKey>([
  ["registered", "notice.registered"],
  ["logged-out", "notice.logged-out"],
  ["reset", "notice.reset"],
  ["revoked", "notice.revoked"],
  ["gone", "notice.gone"],
  ["others-revoked", "notice.others-revoked"],
  ["no-others", "notice.no-others"],
  ["password-changed", "notice.password-changed"],
  ["account-deleted", "notice.account-deleted"],
  ["session-ended", "notice.session-ended"],
  ["mfa-off", "notice.mfa-off"],
  ["mfa-on-already", "notice.mfa-on-already"],
  ["mfa-off-already", "notice.mfa-off-already"],
  ["mfa-setup-gone", "notice.mfa-setup-gone"],
  ["mfa-login-expired", "notice.mfa-login-expired"],
  ["email-verified", "notice.email-verified"],
  ["verified-log-in", "notice.verified-log-in"],
  ["email-verified-already", "notice.email-verified-already"],
  ["verification-sent", "notice.verification-sent"],
  ["email-change-sent", "notice.email-change-sent"],
  ["email-changed", "notice.email-changed"],
  // Passkeys (src/capabilities/passkeys/pages.ts).
  ["passkey-added", "notice.passkey-added"],
  ["passkey-renamed", "notice.passkey-renamed"],
  ["passkey-removed", "notice.passkey-removed"],
  ["passkey-removed-last", "notice.passkey-removed-last"],
  ["passkey-gone", "notice.passkey-gone"],
]);

/** The notice of a ?done= code, in the page's language; nothing for an unknown one. */
export function noticeOf(ctx: PageContext, code: string | undefined): string | undefined {
  const key = code === undefined ? undefined : NOTICES.get(code);
  return key === undefined ? undefined : ctx.t(key);
}
