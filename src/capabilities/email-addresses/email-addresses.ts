import {
  EmailNotVerifiedError,
  InvalidEmailError,
  InvalidVerificationTokenError,
  SameEmailError,
  UnknownEmailError,
} from "../../core/errors.js";
import type { FlowContext } from "../../core/flow-context.js";
import type { ResetRequestLimit } from "../../core/mail-request-limit.js";
import type { Reauthenticated, Reauthentication, SignedIn } from "../../core/reauthentication.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import { generateToken, hashToken, isPlausibleToken } from "../../core/token.js";
import type { Change } from "../../core/unit-of-work.js";
import { assertValidEmail, isMailableEmail, normalizeEmail, type User } from "../../core/user.js";
import type { EmailTokenPurpose, EmailTokenStore } from "./store.js";

/** A verification or change link works this long, once. */
export const EMAIL_TOKEN_LIFETIME_MS = 24 * 60 * 60_000;
/** A refused login of an unverified account mails a new link at most this often. */
const LOGIN_LINK_INTERVAL_MS = 10 * 60_000;

/**
 * Verified addresses (EMAIL_VERIFICATION) and changing one's address:
 * tokens of 256 bits, only their SHA-256 kept, 24 hours, single use. In
 * production a token is made when its mail is sent, never waiting in a
 * table; in development (or without a mail queue) it is handed back, as
 * reset tokens are.
 */
export class EmailAddresses {
  readonly #ctx: FlowContext;
  readonly #tokens: EmailTokenStore;
  readonly #reauthentication: Reauthentication;
  readonly #limit: ResetRequestLimit;
  readonly #changeLimit: ResetRequestLimit;

  constructor(
    ctx: FlowContext,
    dependencies: {
      tokens: EmailTokenStore;
      reauthentication: Reauthentication;
      /** Requests for verification links. */
      limit: ResetRequestLimit;
      /** Requests to change the address. */
      changeLimit: ResetRequestLimit;
    },
  ) {
    this.#ctx = ctx;
    this.#tokens = dependencies.tokens;
    this.#reauthentication = dependencies.reauthentication;
    this.#limit = dependencies.limit;
    this.#changeLimit = dependencies.changeLimit;
  }

  /** Tokens go back to the caller instead of into mail. */
  get #handsBack(): boolean {
    return this.#ctx.settings.mode === "development" || !this.#ctx.mailQueue;
  }

  /** True when links go out by mail; false when they are handed back (development). */
  get mailsLinks(): boolean {
    return !this.#handsBack;
  }

  /** True when addresses are checked at all (EMAIL_VERIFICATION is not off). */
  get enabled(): boolean {
    return this.#ctx.settings.emailVerification !== "off";
  }

  /**
   * A new account: its verification link mailed, when verification is on and
   * mail is set up, in the registration's transaction.
   */
  async registered(user: User, change: Change, client: SessionClient = {}): Promise<void> {
    if (!this.enabled || this.#handsBack) return;
    await this.#queueLink(user, "verify", user.email, null, client.language, change);
  }

  /**
   * The check a login makes before a session: with verification required,
   * an unverified address gets no session, and a new link when none was
   * mailed in the last ten minutes.
   * @throws EmailNotVerifiedError
   */
  async assertVerified(user: User, client: SessionClient): Promise<void> {
    if (this.#ctx.settings.emailVerification !== "required" || user.emailVerifiedAt) return;
    const now = this.#ctx.now();
    const latest = await this.#tokens.latestEmailToken(
      user.id,
      "verify",
      normalizeEmail(user.email),
      now,
    );
    if (!this.#handsBack && (!latest || now.getTime() - latest.getTime() > LOGIN_LINK_INTERVAL_MS))
      await this.#queueLink(user, "verify", user.email, null, client.language);
    this.#ctx.emit({
      type: "login",
      outcome: "unverified",
      userId: user.id,
      email: user.email,
      client,
    });
    throw new EmailNotVerifiedError(!this.#handsBack);
  }

  /**
   * A new verification link for this email. With a mail queue: the same
   * answer (nothing) for any email, within the request limits; the link is
   * mailed only to a registered, unverified address. Without one
   * (development): the token.
   * @throws InvalidEmailError, VerificationThrottledError, or (development) UnknownEmailError.
   */
  async requestVerification(email: string, client: SessionClient = {}): Promise<string | null> {
    if (!isMailableEmail(email))
      throw new InvalidEmailError("email is not an address we can mail", "unmailable");
    // In every mode: development's limits are off unless an operator sets them.
    await this.#limit.hit(email, client.ip, this.#ctx.now());
    if (this.#handsBack) {
      const user = await this.#ctx.store.findUser({ email });
      if (!user) throw new UnknownEmailError();
      return this.#issue(user, "verify", user.email, null);
    }
    // The same work for any email: one queued row. Whether it becomes a mail
    // (a registered, unverified address) is decided when it is sent.
    await this.#ctx.mailQueue?.enqueue(
      "email_verification",
      email,
      undefined,
      undefined,
      client.language,
    );
    return null;
  }

  /**
   * Marks the address of a verification link verified.
   * @throws InvalidVerificationTokenError (unknown, used, expired, or the address changed since)
   */
  async verify(token: string, client: SessionClient = {}): Promise<{ email: string }> {
    if (!isPlausibleToken(token)) throw new InvalidVerificationTokenError();
    const tokenHash = hashToken(token);
    // The address verified, its audit row and webhook: all or none. A token
    // refused after all is returned, not thrown, so that what the store did
    // to it (a useless one consumed) still commits.
    const done = await this.#ctx.changes.run(async (change) => {
      const verified = await this.#tokens.consumeVerification(
        tokenHash,
        this.#ctx.now(),
        change.tx,
      );
      if (!verified) return null;
      const { userId, email } = verified;
      await change.report({ type: "email_verified", userId, email, client });
      return verified;
    });
    if (!done) throw new InvalidVerificationTokenError();
    return { email: done.email };
  }

  /**
   * Asks to change the signed-in user's address, after the current password:
   * a link goes to the new address, a notice to the old one; nothing changes
   * until the link is confirmed. Whether the new address is taken is decided
   * then, not here (that would tell anyone which addresses have accounts).
   * On an account with a second factor, `code` must be a current one: the
   * address is where resets go. Requests are limited per account, per new
   * address and per client address, as reset requests are, so nobody can
   * flood a mailbox with confirmation links.
   * @returns the confirmation token in development, else null.
   * @throws InvalidEmailError, SameEmailError, LoginThrottledError, EmailChangeThrottledError.
   */
  async requestChange(
    current: SignedIn,
    newEmail: string,
    password: string,
    client: SessionClient,
    code?: SecondFactorProof,
  ): Promise<Reauthenticated<string | null>> {
    assertValidEmail(newEmail);
    if (normalizeEmail(newEmail) === normalizeEmail(current.user.email)) throw new SameEmailError();
    // Counted before the owner is checked: a refused request must not use up
    // the code it carried.
    await this.#changeLimit.hit(newEmail, client.ip, this.#ctx.now(), `user:${current.user.id}`);
    return this.#reauthentication.guard(current, { password, code }, client, async () => {
      const { user, session } = current;
      const { id: userId, email } = user;
      // The pending change, its audit row, the link and the notice: all or none.
      return this.#ctx.changes.run(async (change) => {
        await change.report({ type: "email_change", stage: "requested", userId, email, client });
        if (this.#handsBack) return this.#issue(user, "change", newEmail, session.publicId, change);
        await this.#queueLink(user, "change", newEmail, session.publicId, client.language, change);
        await change.mail("email_change_requested", email, undefined, client.language);
        return null;
      });
    });
  }

  /**
   * Applies a change whose link was followed: the new address (verified),
   * the user's other sessions ended, the old address told.
   * @throws InvalidVerificationTokenError; UserAlreadyExistsError when the
   *   address has an account by now (409; the link stays usable).
   */
  async confirmChange(token: string, client: SessionClient = {}): Promise<{ email: string }> {
    if (!isPlausibleToken(token)) throw new InvalidVerificationTokenError();
    const now = this.#ctx.now();
    const idleCutoff = new Date(now.getTime() - this.#ctx.settings.sessionIdleTimeout);
    const tokenHash = hashToken(token);
    // The new address, the sessions ended, the audit row, the webhook and the
    // notice to the old address: all or none. A refused token is returned,
    // not thrown, so that what the store did to it (one whose session ended
    // is deleted) still commits.
    const done = await this.#ctx.changes.run(async (change) => {
      const changed = await this.#tokens.consumeEmailChange(tokenHash, now, idleCutoff, change.tx);
      if (!changed) return null;
      const { userId, oldEmail, newEmail } = changed;
      await change.report({
        type: "email_change",
        stage: "completed",
        userId,
        email: newEmail,
        client,
      });
      await change.mail("email_changed", oldEmail, undefined, client.language);
      return changed;
    });
    if (!done) throw new InvalidVerificationTokenError();
    return { email: done.newEmail };
  }

  /** An operator marks a user's address verified (CLI). False when no user has it. */
  async markVerified(email: string, client: SessionClient): Promise<boolean> {
    const user = await this.#ctx.store.findUser({ email });
    if (!user) return false;
    // Verified, with its audit row and webhook: all or none.
    return this.#ctx.changes.run(async (change) => {
      if (!(await this.#tokens.markEmailVerified(user.id, this.#ctx.now(), change.tx)))
        return false;
      await change.report({ type: "email_verified", userId: user.id, email: user.email, client });
      return true;
    });
  }

  /**
   * The token of a queued mail, made now (the outbox worker calls it when it
   * sends): the address it goes to, the token, and what it is for; null
   * when the request is gone (used, replaced, expired, or its user deleted).
   */
  async tokenForMail(
    refId: number | null,
    email: string,
  ): Promise<{ email: string; token: string; purpose: EmailTokenPurpose } | null> {
    if (refId === null) {
      // A request for a new link (requestVerification): only now is the address looked up.
      const user = await this.#ctx.store.findUser({ email });
      if (!user || user.emailVerifiedAt) return null;
      return {
        email: user.email,
        token: await this.#issue(user, "verify", user.email, null),
        purpose: "verify",
      };
    }
    const token = generateToken();
    const now = this.#ctx.now();
    const stored = await this.#tokens.reissueEmailToken(
      refId,
      hashToken(token),
      now,
      new Date(now.getTime() + EMAIL_TOKEN_LIFETIME_MS),
    );
    return stored ? { email: stored.email, token, purpose: stored.purpose } : null;
  }

  /** A token for the address, handed back (development); in `change`'s transaction when given. */
  async #issue(
    user: User,
    purpose: EmailTokenPurpose,
    email: string,
    sessionPublicId: string | null,
    change?: Change,
  ): Promise<string> {
    const token = generateToken();
    await this.#store(user, purpose, email, sessionPublicId, hashToken(token), change);
    return token;
  }

  /**
   * A request whose mail makes the token: the row is stored now with a
   * secret nobody knows (a random hash), and tokenForMail gives it the real
   * one when the mail goes out.
   */
  async #queueLink(
    user: User,
    purpose: EmailTokenPurpose,
    email: string,
    sessionPublicId: string | null,
    language: string | undefined,
    change?: Change,
  ): Promise<void> {
    const tokenHash = hashToken(generateToken());
    const id = await this.#store(user, purpose, email, sessionPublicId, tokenHash, change);
    await this.#ctx.mailQueue?.enqueue(
      purpose === "verify" ? "email_verification" : "email_change",
      email,
      id,
      change?.tx,
      language,
    );
  }

  #store(
    user: User,
    purpose: EmailTokenPurpose,
    email: string,
    sessionPublicId: string | null,
    tokenHash: string,
    change?: Change,
  ): Promise<number> {
    const now = this.#ctx.now();
    return this.#tokens.insertEmailToken(
      {
        userId: user.id,
        purpose,
        email,
        tokenHash,
        sessionPublicId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + EMAIL_TOKEN_LIFETIME_MS),
      },
      change?.tx,
    );
  }

  /** Deletes expired verification and change tokens; the server's purge calls it. */
  /** What waits on the user's links, for their own export: a change's new address, live verification links. */
  async exportOf(userId: number): Promise<Record<string, unknown>> {
    const live = await this.#tokens.liveEmailTokensOfUser(userId, this.#ctx.now());
    const change = live.find((token) => token.purpose === "change");
    return {
      pending_email_change: change
        ? { new_email: change.email, expires_at: change.expiresAt.toISOString() }
        : null,
      live_verification_links: live.filter((token) => token.purpose === "verify").length,
    };
  }

  async purgeExpired(): Promise<void> {
    await this.#tokens.purgeExpiredEmailTokens(this.#ctx.now());
  }
}
