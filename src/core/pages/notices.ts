/**
 * The pages' notices after a redirect (?done=<code>): fixed messages chosen
 * by a code in the query, so nothing from the URL is echoed. A Map, because an object would also answer "constructor" or "__proto__"
 * with what it inherits.
 */
const NOTICES = new Map<string, string>([
  ["registered", "Account created. You can log in now."],
  ["logged-out", "You are logged out."],
  ["reset", "Password changed. Log in with the new one."],
  ["revoked", "That session has ended."],
  ["gone", "That session had already ended."],
  ["others-revoked", "Every other session has ended."],
  ["no-others", "No other session was open."],
  ["password-changed", "Password changed. Your other sessions have ended."],
  ["account-deleted", "Your account is deleted, with everything kept about it."],
  ["session-ended", "Too many wrong current passwords: that session has ended. Log in again."],
  ["mfa-off", "Two-factor authentication is off."],
  ["mfa-on-already", "Two-factor authentication is already on."],
  ["mfa-off-already", "Two-factor authentication is not on."],
  [
    "mfa-setup-gone",
    "That set-up was not waiting any more: set up two-factor authentication again.",
  ],
  ["mfa-login-expired", "That login took too long, or had too many wrong codes. Log in again."],
  // Verified addresses and email changes (routes/account-email.ts).
  ["email-verified", "Your email address is verified."],
  ["verified-log-in", "Your email address is verified. You can log in now."],
  ["email-verified-already", "Your email address is verified already."],
  [
    "verification-sent",
    "A new verification link was mailed to your address. It works for 24 hours.",
  ],
  [
    "email-change-sent",
    "A confirmation link was mailed to the new address. Nothing changes until it is followed; it works for 24 hours.",
  ],
  // The account page names the new address itself (from the session, never from the URL).
  ["email-changed", "Your email address is changed."],
]);

/** The notice of a ?done= code; nothing for an unknown one. */
export function noticeOf(code: string | undefined): string | undefined {
  return code === undefined ? undefined : NOTICES.get(code);
}
