import type { FlowContext } from "./flow-context.js";
import type { SecondFactorGate, SecondFactorProof } from "./second-step.js";
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
  /** The account has a second factor, and no code came with the password. */
  | "code_required"
  | "wrong_code"
  | "session_ended";

/** What proves it is still the account's owner: the password, and a code when the account has a factor. */
export interface OwnerProof {
  password: string;
  /** A current TOTP code, an unused recovery code, or a passkey assertion (SecondFactorCodes.check). */
  code?: SecondFactorProof | undefined;
}

/** A change that needed the current password: done (with its result), or refused as the check says. */
export type Reauthenticated<T> =
  | { outcome: "done"; value: T }
  | { outcome: Exclude<ReauthenticationOutcome, "confirmed"> };

/**
 * The current password asked again before a sensitive change (ASVS 5.0
 * 7.5.1): a new password, turning a second factor off, new recovery codes,
 * a new email address. On an account with a second factor, the changes that
 * could remove or route around it (the factor itself, its recovery codes, the
 * address a reset goes to) also take a current code, as GitHub's and Google's
 * "sudo mode" do: a stolen session plus a phished password is not enough.
 *
 * For someone holding a stolen session this is a login guess like any other:
 * a wrong password or code counts toward the account's (and address's) login
 * throttling and is audited, a locked account is refused before any hashing,
 * and after REAUTH_MAX_FAILURES wrong ones the session itself ends.
 */
export class Reauthentication {
  readonly #ctx: FlowContext;
  readonly #codes: SecondFactorGate;

  constructor(ctx: FlowContext, codes: SecondFactorGate) {
    this.#ctx = ctx;
    this.#codes = codes;
  }

  /**
   * Checks the password, and, when `proof` carries the `code` key (a change
   * that needs the factor) and the account has one, a current code, which is
   * then used up. A string alone checks the password only.
   * @throws LoginThrottledError while the account or address is locked; ServiceBusyError.
   */
  async check(
    current: SignedIn,
    proof: string | OwnerProof,
    client: SessionClient,
  ): Promise<ReauthenticationOutcome> {
    const { password, code } = typeof proof === "string" ? { password: proof } : proof;
    const needsFactor = typeof proof !== "string";
    const { id: userId, email } = current.user;
    this.#ctx.hasher.assertCapacity("other");
    await this.#ctx.throttle.assertAllowed(email, client.ip, this.#ctx.now());
    const record = await this.#ctx.store.findUser({ id: userId });
    if (!record) return "no_session";
    if (!(await this.#ctx.hasher.verify(password, record.hashedPassword, "other"))) {
      return this.#refuse(current.session, email, client, "wrong_password");
    }
    if (!needsFactor || !(await this.#codes.isOn(userId))) return "confirmed";
    if (code === undefined || (typeof code === "string" && code.trim() === ""))
      return "code_required";
    const accepted = await this.#codes.check(userId, code);
    // Spent before the change: a code (or TOTP step) proves one thing, once.
    if (accepted && (await accepted.spend())) return "confirmed";
    return this.#refuse(current.session, email, client, "wrong_code");
  }

  /**
   * Runs `change` when the proof holds (see check), then forgets the
   * session's wrong tries; otherwise answers the check's refusal.
   */
  async guard<T>(
    current: SignedIn,
    proof: string | OwnerProof,
    client: SessionClient,
    change: () => Promise<T>,
  ): Promise<Reauthenticated<T>> {
    const check = await this.check(current, proof, client);
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

  /** A wrong current password or code: counted, audited, and the session's last chance used up at the limit. */
  async #refuse(
    session: StoredSession,
    email: string,
    client: SessionClient,
    outcome: "wrong_password" | "wrong_code",
  ): Promise<"wrong_password" | "wrong_code" | "session_ended"> {
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
    return sessionEnded ? "session_ended" : outcome;
  }
}
