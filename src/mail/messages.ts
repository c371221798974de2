import type { MailMessage } from "./transport.js";

/** Where the hosted page that takes a reset token lives, under PUBLIC_URL. */
export const RESET_PAGE_PATH = "/account/reset";

/**
 * The reset link is built from the configured public URL, never from the
 * request's Host header: a forged Host must not make us mail a link to the
 * attacker's site (password-reset poisoning).
 */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}${RESET_PAGE_PATH}?token=${encodeURIComponent(token)}`;
}

export function resetMail(
  to: string,
  token: string,
  options: { publicUrl: string; lifetimeMinutes: number },
): MailMessage {
  return {
    to,
    subject: "Reset your password",
    text: [
      "Someone (we hope you) asked to reset the password of this account.",
      "",
      "Choose a new password here:",
      resetLink(options.publicUrl, token),
      "",
      `Or enter this reset token: ${token}`,
      "",
      `The link works once and expires in ${options.lifetimeMinutes} minutes.`,
      "If you did not ask for it, ignore this mail: your password stays as it is.",
    ].join("\n"),
  };
}

export function passwordChangedMail(to: string, options: { publicUrl: string }): MailMessage {
  return {
    to,
    subject: "Your password was changed",
    text: [
      "The password of this account was just changed, and its other sessions were signed out.",
      "",
      "If that was you, there is nothing to do.",
      `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
    ].join("\n"),
  };
}

/** The notices of changes to an account's second factor, by mail kind. */
const SECOND_FACTOR_NOTICES = {
  second_factor_added: {
    subject: "Two-factor authentication was turned on",
    what: "Two-factor authentication was just turned on for this account: logins now ask for a code from an authenticator app.",
  },
  second_factor_removed: {
    subject: "Two-factor authentication was turned off",
    what: "Two-factor authentication was just turned off for this account: logins now ask for the password only.",
  },
  recovery_code_used: {
    subject: "A recovery code was used to sign in",
    what: "A recovery code was just used to sign in to this account. Each code works once; make new ones on your account page when few are left.",
  },
  passkey_added: {
    subject: "A passkey was added to your account",
    what: "A passkey was just added to this account: it signs in without the password, and counts as a second factor.",
  },
  passkey_removed: {
    subject: "A passkey was removed from your account",
    what: "A passkey was just removed from this account: it no longer signs in.",
  },
  passkey_counter_regression: {
    subject: "A passkey of your account was refused",
    what: "A sign-in with one of this account's passkeys was refused: its authenticator's counter went back, which happens when a passkey was copied. Remove that passkey and add it again.",
  },
} as const;

export type SecondFactorNotice = keyof typeof SECOND_FACTOR_NOTICES;

export function isSecondFactorNotice(kind: string): kind is SecondFactorNotice {
  return Object.hasOwn(SECOND_FACTOR_NOTICES, kind);
}

export function secondFactorMail(
  to: string,
  kind: SecondFactorNotice,
  options: { publicUrl: string },
): MailMessage {
  const notice = SECOND_FACTOR_NOTICES[kind];
  return {
    to,
    subject: notice.subject,
    text: [
      notice.what,
      "",
      "If that was you, there is nothing to do.",
      `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
      `and review the account's sessions and two-factor settings: ${options.publicUrl}/account`,
    ].join("\n"),
  };
}
