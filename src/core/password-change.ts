import type { FlowContext } from "./flow-context.js";
import type { Reauthentication, ReauthenticationOutcome, SignedIn } from "./reauthentication.js";
import type { SessionClient } from "./session.js";

export { REAUTH_MAX_FAILURES } from "./reauthentication.js";

export type PasswordChangeOutcome = "changed" | Exclude<ReauthenticationOutcome, "confirmed">;

/** A password change by a signed-in user, behind Auth.changePassword. */
export class PasswordChange {
  readonly #ctx: FlowContext;
  readonly #reauthentication: Reauthentication;

  constructor(ctx: FlowContext, reauthentication: Reauthentication) {
    this.#ctx = ctx;
    this.#reauthentication = reauthentication;
  }

  /**
   * Changes the password of the user of this live session, after checking the
   * current one (see Reauthentication), and ends every other session of the user.
   * @throws LoginThrottledError while the account or address is locked;
   *   InvalidPasswordError for a bad new password.
   */
  async change(
    current: SignedIn,
    currentPassword: string,
    newPassword: string,
    client: SessionClient,
  ): Promise<PasswordChangeOutcome> {
    const { id: userId, email } = current.user;
    const check = await this.#reauthentication.check(current, currentPassword, client);
    if (check !== "confirmed") return check;
    this.#ctx.passwordPolicy.assertAcceptable(newPassword, { email });
    const hashedPassword = await this.#ctx.hasher.hash(newPassword);
    await this.#ctx.changes.run(async (change) => {
      const now = this.#ctx.now();
      await this.#ctx.store.changePassword(
        userId,
        hashedPassword,
        current.session.id,
        now,
        change.tx,
      );
      await change.report({ type: "password_changed", userId, email, client });
      await change.mail("password_changed", email, undefined, client.language);
    });
    // After the commit: a throttling store that is down must not turn it into an error.
    await this.#ctx.changes.afterCommit("forget the session's wrong passwords", () =>
      this.#reauthentication.succeeded(current),
    );
    return "changed";
  }
}
