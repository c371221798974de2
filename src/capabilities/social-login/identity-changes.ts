import type { AuthCore } from "../../core/auth-core.js";
import { IdentityError, NoResultFound } from "../../core/errors.js";
import type { ReauthenticationOutcome, SignedIn } from "../../core/reauthentication.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import type { SocialStore } from "./store.js";

/** A session opened this recently proved the password and second factor just now (as for a passkey). */
export const RECENT_SIGN_IN_MS = 5 * 60_000;

/** What the owner sends to prove it is them: the password, else (no password) a second factor's code. */
export interface IdentityProof {
  password?: string | undefined;
  code?: SecondFactorProof | undefined;
}

export type LinkingOutcome = ReauthenticationOutcome | "reauthentication_required";

/**
 * The owner's changes to their linked identities, each behind the proof a
 * way into the account deserves: linking one needs what adding a passkey
 * needs (a sign-in in the last 5 minutes, or the password and a current
 * second factor now), so a stolen session cookie alone links nothing;
 * unlinking needs the password (an account without one: its code), and
 * never removes the last way in, counted under the user row's lock so two
 * unlinks at once cannot both pass.
 */
export class IdentityChanges {
  readonly #core: AuthCore;
  readonly #store: SocialStore;
  readonly #passkeyCount: (userId: number) => Promise<number>;

  constructor(
    core: AuthCore,
    store: SocialStore,
    passkeyCount: (userId: number) => Promise<number>,
  ) {
    this.#core = core;
    this.#store = store;
    this.#passkeyCount = passkeyCount;
  }

  isRecentSignIn(current: SignedIn): boolean {
    return (
      this.#core.flows.now().getTime() - current.session.createdAt.getTime() < RECENT_SIGN_IN_MS
    );
  }

  /** Whether the signed-in user may start linking another sign-in now. */
  async confirmLinking(
    current: SignedIn,
    proof: IdentityProof,
    client: SessionClient,
  ): Promise<LinkingOutcome> {
    if (this.isRecentSignIn(current)) return "confirmed";
    const record = await this.#core.flows.store.findUser({ id: current.user.id });
    if (!record) return "no_session";
    if (record.hashedPassword === null) {
      // No password to ask: a current code when there is a factor, else a fresh sign-in.
      if (!(await this.#core.factors.isOn(current.user.id))) return "reauthentication_required";
      return this.#codeOnly(current.user.id, current.user.email, proof.code, client);
    }
    if (!proof.password) return "reauthentication_required";
    const { reauthentication } = this.#core;
    const outcome = await reauthentication.check(
      current,
      { password: proof.password, code: proof.code },
      client,
    );
    if (outcome === "confirmed") await reauthentication.succeeded(current);
    return outcome;
  }

  /**
   * @throws NoResultFound, IdentityError("last_way_in"), LoginThrottledError.
   * @returns the reauthentication's refusal, or "unlinked".
   */
  async unlink(
    current: SignedIn,
    id: string,
    proof: IdentityProof,
    client: SessionClient,
  ): Promise<
    "unlinked" | "wrong_password" | "code_required" | "wrong_code" | "session_ended" | "no_session"
  > {
    const { id: userId, email } = current.user;
    const identities = await this.#store.identitiesOf(userId);
    const identity = identities.find((each) => each.id === id);
    if (!identity) throw new NoResultFound("no such linked identity");
    const record = await this.#core.flows.store.findUser({ id: userId });
    if (!record) return "no_session";
    const hasPassword = record.hashedPassword !== null;
    if (!hasPassword && identities.length === 1) await this.#assertOtherWayIn(userId, 1);
    const outcome = hasPassword
      ? await this.#core.reauthentication.check(current, proof.password ?? "", client)
      : await this.#codeOnly(userId, email, proof.code, client);
    if (outcome !== "confirmed") return outcome;
    await this.#core.flows.changes.run(async (change) => {
      // Counted again under the user row's lock: another unlink at the same moment waits here.
      const ways = await this.#store.lockWaysIn(userId, change.tx);
      if (!ways) throw new NoResultFound("no such linked identity");
      if (!ways.hasPassword) await this.#assertOtherWayIn(userId, ways.identities);
      if (!(await this.#store.deleteIdentity(userId, id, change.tx)))
        throw new NoResultFound("no such linked identity");
      await change.report({
        type: "identity",
        action: "unlinked",
        provider: identity.provider,
        userId,
        email,
        client,
      });
    });
    return "unlinked";
  }

  /** An account without a password keeps another identity or a passkey. @throws IdentityError */
  async #assertOtherWayIn(userId: number, identities: number): Promise<void> {
    if (identities > 1 || (await this.#passkeyCount(userId)) > 0) return;
    throw new IdentityError(
      "last_way_in",
      "this is the account's last way in: set a password or link another sign-in first",
    );
  }

  /** An account without a password: its second factor's code when it has one; else the session suffices. */
  async #codeOnly(
    userId: number,
    email: string,
    code: SecondFactorProof | undefined,
    client: SessionClient,
  ): Promise<"confirmed" | "code_required" | "wrong_code"> {
    const { factors, flows } = this.#core;
    if (!(await factors.isOn(userId))) return "confirmed";
    if (code === undefined || code === "") return "code_required";
    await flows.throttle.assertAllowed(email, client.ip, flows.now());
    const accepted = await factors.check(userId, code);
    if (accepted && (await accepted.spend())) return "confirmed";
    await flows.throttle.recordFailure(email, client.ip, flows.now());
    return "wrong_code";
  }
}
