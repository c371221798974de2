import type { AuthSettings } from "../../core/settings.js";

/** A reset token as the store keeps it: hashed, bound to one user, with an end. */
export interface StoredResetToken {
  userId: number;
  /** The normalized email of the user the token was issued to. */
  emailNormalized: string;
  expiresAt: Date;
}

export function resetTokenExpiry(
  now: Date,
  settings: Pick<AuthSettings, "resetTokenLifetime">,
): Date {
  return new Date(now.getTime() + settings.resetTokenLifetime);
}

export function isResetTokenExpired(
  token: Pick<StoredResetToken, "expiresAt">,
  now: Date,
): boolean {
  return now.getTime() >= token.expiresAt.getTime();
}
