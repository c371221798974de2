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
