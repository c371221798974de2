import type { FlowContext } from "./flow-context.js";
import type { SessionClient, StoredSession } from "./session.js";
import type { User } from "./user.js";

/** Wrong current passwords one session may give before it is ended. */
export const REAUTH_MAX_FAILURES = 5;

export type PasswordChangeOutcome = "changed" | "no_session" | "wrong_password" | "session_ended";

/** A password change by a signed-in user, behind Auth.changePassword. */
export class PasswordChange {
  readonly #ctx: FlowContext;

  constructor(ctx: FlowContext) {
    this.#ctx = ctx;
  }

  /**
   * Changes the password of the user of this live session, after checking the
   * current one, and ends every other session of the user.
   *
   * The current-password check is a login guess like any other for someone
   * holding a stolen session: a wrong one counts toward the account's (and
   * address's) login throttling and is audited, a locked account is refused
   * before any hashing, and after REAUTH_MAX_FAILURES wrong ones the session
   * itself ends.
   * @throws LoginThrottledError while the account or address is locked;
   *   InvalidPasswordError for a bad new password.
   */
  async change(
    current: { session: StoredSession; user: User },
    currentPassword: string,
    newPassword: string,
    client: SessionClient,
  ): Promise<PasswordChangeOutcome> {
    const { id: userId, email } = current.user;
    this.#ctx.hasher.assertCapacity("other");
    await this.#ctx.throttle.assertAllowed(email, client.ip, this.#ctx.now());
    const record = await this.#ctx.store.findUser({ id: userId });
    if (!record) return "no_session";
    if (!(await this.#ctx.hasher.verify(currentPassword, record.hashedPassword, "other"))) {
      return this.#refuse(current.session, email, client);
    }
    this.#ctx.passwordPolicy.assertAcceptable(newPassword, { email });
    const hashedPassword = await this.#ctx.hasher.hash(newPassword);
    await this.#ctx.store.changePassword(
      userId,
      hashedPassword,
      current.session.id,
      this.#ctx.now(),
    );
    await this.#ctx.throttle.clearReauthentication(current.session.publicId);
    this.#ctx.emit({ type: "password_changed", userId, email, client });
    await this.#ctx.mailQueue?.enqueue("password_changed", email);
    return "changed";
  }

  /** A wrong current password: counted, audited, and the session's last chance used up at the limit. */
  async #refuse(
    session: StoredSession,
    email: string,
    client: SessionClient,
  ): Promise<"wrong_password" | "session_ended"> {
    const now = this.#ctx.now();
    const { userId } = session;
    await this.#ctx.throttle.recordFailure(email, client.ip, now);
    const failures = await this.#ctx.throttle.recordReauthenticationFailure(session.publicId, now);
    const sessionEnded = failures >= REAUTH_MAX_FAILURES;
    if (sessionEnded) await this.#ctx.store.deleteSessionOfUser(userId, session.publicId);
    this.#ctx.emit({
      type: "reauthentication",
      outcome: "failure",
      sessionEnded,
      userId,
      email,
      client,
    });
    return sessionEnded ? "session_ended" : "wrong_password";
  }
}
