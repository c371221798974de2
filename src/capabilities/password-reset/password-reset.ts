import { InvalidEmailError, InvalidResetTokenError, UnknownEmailError } from "../../core/errors.js";
import type { FlowContext } from "../../core/flow-context.js";
import { type ResetRequestLimit, ResetThrottledError } from "../../core/mail-request-limit.js";
import type { SessionClient } from "../../core/session.js";
import { generateToken, hashToken, isPlausibleToken } from "../../core/token.js";
import type { Transaction } from "../../core/unit-of-work.js";
import { isMailableEmail, normalizeEmail } from "../../core/user.js";
import { isResetTokenExpired, resetTokenExpiry } from "./reset-token.js";
import type { ResetTokenStore } from "./store.js";

/**
 * Reset tokens a user may hold at once. A new request does not void the links
 * already mailed (else anyone could keep the owner's link dead by asking
 * again); production's per-email quota (10 an hour, tokens live 30 minutes)
 * stays under this, so only development, which has no quota, ever reaches it.
 */
const MAX_LIVE_RESET_TOKENS = 10;

/** The password reset flows behind Auth's reset methods. */
export class PasswordResets {
  readonly #ctx: FlowContext;
  readonly #limit: ResetRequestLimit;
  readonly #tokens: ResetTokenStore;

  constructor(ctx: FlowContext, limit: ResetRequestLimit, tokens: ResetTokenStore) {
    this.#tokens = tokens;
    this.#ctx = ctx;
    this.#limit = limit;
  }

  /**
   * Issues a reset token for the email; earlier live ones stay valid until
   * one of them is used. It expires after the configured lifetime and works once. This is development mode's
   * path (the token goes back to the caller); production uses
   * requestPasswordReset, which mails it.
   * @throws UnknownEmailError when no user has this email.
   */
  async getResetPasswordToken(email: string, client: SessionClient = {}): Promise<string> {
    // Development's limits are off by default; an operator who sets one gets it here too.
    await this.#hitLimit(email, client);
    // Looked up before the transaction: a unit of work runs only its own statements.
    const user = await this.#ctx.store.findUser({ email });
    if (!user) throw new UnknownEmailError();
    return this.#ctx.changes.run(async (change) => {
      const token = await this.#addToken(user.id, false, change.tx);
      await change.report({ type: "reset", stage: "requested", userId: user.id, email, client });
      return token;
    });
  }

  /**
   * Asks for a reset link to be mailed to this email, and answers the same way
   * whether or not it is registered: only the limits are checked and the mail
   * queued here (the same work for any email); the outbox's sender looks the
   * user up, makes the token and mails it, or drops the request.
   * @throws InvalidEmailError, or ResetThrottledError past the per-email or per-address limit.
   */
  async requestPasswordReset(email: string, client: SessionClient = {}): Promise<void> {
    // Mailable, not the strict rule of new registrations: an account made
    // before it (say old@intranet) must still be able to reset its password.
    if (!isMailableEmail(email))
      throw new InvalidEmailError("email is not an address we can mail", "unmailable");
    if (!this.#ctx.mailQueue) throw new Error("requestPasswordReset needs a mail queue (SMTP)");
    await this.#hitLimit(email, client);
    await this.#ctx.changes.run(async (change) => {
      await change.mail("password_reset", email, undefined, client.language);
      await change.report({
        type: "reset",
        stage: "requested",
        outcome: "accepted",
        email,
        client,
      });
    });
  }

  /** Counts a request. @throws ResetThrottledError past a limit (reported as throttled). */
  async #hitLimit(email: string, client: SessionClient): Promise<void> {
    try {
      await this.#limit.hit(email, client.ip, this.#ctx.now());
    } catch (error) {
      if (error instanceof ResetThrottledError)
        this.#ctx.emit({ type: "reset", stage: "requested", outcome: "throttled", email, client });
      throw error;
    }
  }

  /**
   * Makes a new reset token for the email's user (beside its live ones), or
   * null when no user has this email. Emits nothing: the caller reports.
   */
  async issueResetToken(
    email: string,
    options: { mailed?: boolean } = {},
  ): Promise<{ token: string; userId: number; email: string } | null> {
    const user = await this.#ctx.store.findUser({ email });
    if (!user) return null;
    const token = await this.#addToken(user.id, options.mailed ?? false);
    return { token, userId: user.id, email: user.email };
  }

  async #addToken(userId: number, mailed: boolean, tx?: Transaction): Promise<string> {
    const token = generateToken();
    const now = this.#ctx.now();
    const expiry = resetTokenExpiry(now, this.#ctx.settings);
    await this.#tokens.addResetToken(
      userId,
      hashToken(token),
      now,
      expiry,
      MAX_LIVE_RESET_TOKENS,
      mailed,
      tx,
    );
    return token;
  }

  /**
   * The email of the account a live reset token is for, without using the
   * token: the reset page names the account to password managers. Null for
   * an unknown, used or expired token. (Whoever holds the token could set the
   * account's password; its address tells them less than that.)
   */
  async tokenOwner(resetToken: string): Promise<string | null> {
    if (!isPlausibleToken(resetToken)) return null;
    const stored = await this.#tokens.findResetToken(hashToken(resetToken));
    if (!stored || isResetTokenExpired(stored, this.#ctx.now())) return null;
    const user = await this.#ctx.store.findUser({ id: stored.userId });
    return user?.email ?? null;
  }

  /**
   * Sets a new password with a reset token, consumes the token and ends every
   * session of the user. With `email`, the token must have been issued to it.
   * @throws InvalidResetTokenError (unknown, used, expired, or another email's)
   *   or InvalidPasswordError; nothing is written when it throws.
   */
  async updatePassword(
    resetToken: string,
    password: string,
    options: { email?: string; client?: SessionClient } = {},
  ): Promise<void> {
    if (!isPlausibleToken(resetToken)) throw new InvalidResetTokenError();
    const tokenHash = hashToken(resetToken);
    // Checked before hashing, so invalid tokens cannot make us spend a hash each.
    const stored = await this.#tokens.findResetToken(tokenHash);
    if (!stored || isResetTokenExpired(stored, this.#ctx.now())) throw new InvalidResetTokenError();
    // The stored token already carries its owner's normalized email: no second lookup.
    if (options.email !== undefined && normalizeEmail(options.email) !== stored.emailNormalized) {
      throw new InvalidResetTokenError(
        "reset_token_email_mismatch",
        "reset token was not issued to this email",
      );
    }
    this.#ctx.passwordPolicy.assertAcceptable(password, { email: stored.emailNormalized });
    const hashedPassword = await this.#ctx.hasher.hash(password);
    const email = options.email ?? stored.emailNormalized;
    const { userId } = stored;
    // The token is consumed, the password set, the sessions ended, the audit
    // row, the webhook and the notice queued, in one transaction: all or none.
    await this.#ctx.changes.run(async (change) => {
      const now = this.#ctx.now();
      const consumed = await this.#tokens.completePasswordReset(
        tokenHash,
        userId,
        hashedPassword,
        now,
        change.tx,
      );
      if (!consumed) throw new InvalidResetTokenError(); // of two concurrent uses, one wins
      await change.report({
        type: "reset",
        stage: "completed",
        userId,
        email,
        client: options.client,
      });
      await change.mail("password_changed", email, undefined, options.client?.language);
    });
    // The owner proved control of the email: the account-wide lock ends, and
    // this address's own. After the commit, so a throttling store that is
    // down (Redis) cannot turn a done reset into an error: the lock then
    // stays until it runs out.
    await this.#ctx.changes.afterCommit("clear the login throttling of a reset account", () =>
      this.#ctx.throttle.clearAccount(stored.emailNormalized, options.client?.ip),
    );
  }

  /** Deletes expired reset tokens; the server's purge calls it. */
  async purgeExpired(): Promise<void> {
    await this.#tokens.purgeExpiredResetTokens(this.#ctx.now());
  }
}
