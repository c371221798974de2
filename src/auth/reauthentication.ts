import type { FlowContext } from "./flow-context.js";
import type { SessionClient, StoredSession } from "./session.js";
import type { User } from "./user.js";

/** Wrong current passwords one session may give before it is ended. */
export const REAUTH_MAX_FAILURES = 5;

/** A live session and its user: who is asking. */
export interface SignedIn {
  session: StoredSession;
  user: User;
}

export type ReauthenticationOutcome =
  | "confirmed"
  | "no_session"
  | "wrong_password"
  | "session_ended";

/** A change that needed the current password: done (with its result), or refused as the check says. */
export type Reauthenticated<T> =
  | { outcome: "done"; value: T }
  | { outcome: Exclude<ReauthenticationOutcome, "confirmed"> };

/**
 * The current password asked again before a sensitive change (ASVS 5.0
 * 7.5.1): a new password, turning a second factor off, new recovery codes.
 *
 * For someone holding a stolen session this is a login guess like any other:
 * a wrong password counts toward the account's (and address's) login
 * throttling and is audited, a locked account is refused before any hashing,
 * and after REAUTH_MAX_FAILURES wrong ones the session itself ends.
 */
export class Reauthentication {
  readonly #ctx: FlowContext;

  constructor(ctx: FlowContext) {
    this.#ctx = ctx;
  }

  /** @throws LoginThrottledError while the account or address is locked; ServiceBusyError. */
  async check(
    current: SignedIn,
    password: string,
    client: SessionClient,
  ): Promise<ReauthenticationOutcome> {
    const { id: userId, email } = current.user;
    this.#ctx.hasher.assertCapacity("other");
    await this.#ctx.throttle.assertAllowed(email, client.ip, this.#ctx.now());
    const record = await this.#ctx.store.findUser({ id: userId });
    if (!record) return "no_session";
    if (await this.#ctx.hasher.verify(password, record.hashedPassword, "other")) {
      return "confirmed";
    }
    return this.#refuse(current.session, email, client);
  }

  /**
   * Runs `change` when the password is the current one, then forgets the
   * session's wrong tries; otherwise answers the check's refusal.
   */
  async guard<T>(
    current: SignedIn,
    password: string,
    client: SessionClient,
    change: () => Promise<T>,
  ): Promise<Reauthenticated<T>> {
    const check = await this.check(current, password, client);
    if (check !== "confirmed") return { outcome: check };
    const value = await change();
    await this.#ctx.changes.afterCommit("forget the session's wrong passwords", () =>
      this.succeeded(current),
    );
    return { outcome: "done", value };
  }

  /** Forgets the session's wrong tries once a change went through. */
  async succeeded(current: SignedIn): Promise<void> {
    await this.#ctx.throttle.clearReauthentication(current.session.publicId);
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
