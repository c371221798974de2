import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import type { AuthCore } from "../../core/auth-core.js";
import { NoResultFound, PasskeyError } from "../../core/errors.js";
import type { PasskeyRefusal, PasskeyUse } from "../../core/events.js";
import type { FlowContext } from "../../core/flow-context.js";
import type { OwnerProof, Reauthenticated, SignedIn } from "../../core/reauthentication.js";
import type { AcceptedCode, SecondFactorGate, SecondFactorProof } from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import type { LoginResult, VerifiedPasskey } from "../../core/sign-in.js";
import { generateToken } from "../../core/token.js";
import type { Change } from "../../core/unit-of-work.js";
import type { User } from "../../core/user.js";
import { Ceremonies, type ChallengeRule } from "./ceremonies.js";
import type { PasskeyOptionsLimit } from "./options-limit.js";
import { authenticationResponseOf, registrationResponseOf } from "./responses.js";
import type { PasskeySettings } from "./settings.js";
import type { PasskeyStore, StoredPasskey } from "./store.js";

/** A passkey as its user sees it: never key material. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Synced to other devices (as its last use said). */
  backedUp: boolean;
}

/** Passkeys one account may have: enough for every device, and a bound on excludeCredentials. */
export const MAX_PASSKEYS_PER_USER = 20;
/** A session opened this recently proved the password and second factor just now. */
export const RECENT_SIGN_IN_MS = 5 * 60_000;
export const PASSKEY_NAME_MAX_LENGTH = 64;

/**
 * Passkeys (WebAuthn): adding, listing, renaming and removing a user's, and
 * using one, to sign in without password (through SignIn.withPasskey, so
 * throttling, email verification and the audit trail apply) or as a second
 * factor wherever a code is asked (the kind it adds to the core's second
 * factors). One rule on every way in: an assertion with user verification is
 * both factors; one without is a second factor only, after the password.
 */
export class Passkeys {
  /** Passkeys as a kind of second factor, for the account's gates (SecondFactorGates). */
  readonly secondFactor: SecondFactorGate;
  readonly #ctx: FlowContext;
  readonly #core: AuthCore;
  readonly #store: PasskeyStore;
  readonly #ceremonies: Ceremonies;
  readonly #optionsLimit: PasskeyOptionsLimit | undefined;

  constructor(
    core: AuthCore,
    dependencies: {
      store: PasskeyStore;
      settings: PasskeySettings;
      /** Sign-in options per client address; none: no limit. */
      optionsLimit?: PasskeyOptionsLimit;
    },
  ) {
    this.#core = core;
    this.#ctx = core.flows;
    this.#store = dependencies.store;
    this.#optionsLimit = dependencies.optionsLimit;
    this.#ceremonies = new Ceremonies(dependencies.settings, this.#store, this.#ctx.now);
    this.secondFactor = {
      isOn: async (userId) => (await this.#store.countOfUser(userId)) > 0,
      check: (userId, proof) => this.#checkFactor(userId, proof),
      recoveryCodesLeft: async () => 0,
      describe: async (userId) => ({ passkeys: await this.#store.countOfUser(userId) }),
      removeByOperator: (user, change, client) => this.#removeAllByOperator(user, change, client),
    };
  }

  count(userId: number): Promise<number> {
    return this.#store.countOfUser(userId);
  }

  async list(userId: number): Promise<PasskeyInfo[]> {
    return (await this.#store.listOfUser(userId)).map(toInfo);
  }

  /** True when the session was opened moments ago (its sign-in is the proof a change needs). */
  isRecentSignIn(session: { createdAt: Date }): boolean {
    return this.#ctx.now().getTime() - session.createdAt.getTime() < RECENT_SIGN_IN_MS;
  }

  /**
   * Options to add a passkey. A session opened in the last few minutes has
   * just proven the password (and a second factor where one is on); an older
   * one must send the current password, and a current second factor when
   * the account has one.
   * @throws PasskeyError (passkey_limit, reauthentication_required), LoginThrottledError.
   */
  async creationOptions(
    current: SignedIn,
    proof: Partial<OwnerProof>,
    client: SessionClient,
  ): Promise<Reauthenticated<PublicKeyCredentialCreationOptionsJSON>> {
    const existing = await this.#store.listOfUser(current.user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER)
      throw new PasskeyError(
        "passkey_limit",
        `an account holds ${MAX_PASSKEYS_PER_USER} passkeys at most: remove one first`,
      );
    if (!this.isRecentSignIn(current.session)) {
      if (!proof.password)
        throw new PasskeyError(
          "reauthentication_required",
          "this session was not opened in the last 5 minutes: send the current password (and a current second factor, when the account has one) to add a passkey",
        );
      const check = await this.#core.reauthentication.check(
        current,
        { password: proof.password, code: proof.code },
        client,
      );
      if (check !== "confirmed") return { outcome: check };
      await this.#core.reauthentication.succeeded(current);
    }
    return {
      outcome: "done",
      value: await this.#ceremonies.creationOptions(current.user, existing),
    };
  }

  /**
   * Adds the passkey of a registration answer to the signed-in user: it must
   * answer a challenge made for them by creationOptions. Audited, announced
   * (passkey.added) and, in production, mailed, with the change.
   * @throws PasskeyError (invalid_passkey, passkey_exists, passkey_limit).
   */
  async register(
    current: SignedIn,
    input: unknown,
    name: string | undefined,
    client: SessionClient,
  ): Promise<PasskeyInfo> {
    const { id: userId, email } = current.user;
    const response = registrationResponseOf(input);
    if (!response) throw invalidPasskey();
    const verdict = await this.#ceremonies.verifyCreation(current.user, response);
    if (!verdict.ok) {
      this.#refused(verdict.reason, userId, email, client);
      throw invalidPasskey();
    }
    if ((await this.#store.countOfUser(userId)) >= MAX_PASSKEYS_PER_USER)
      throw new PasskeyError(
        "passkey_limit",
        `an account holds ${MAX_PASSKEYS_PER_USER} passkeys at most`,
      );
    const now = this.#ctx.now();
    const passkey = {
      ...verdict.value,
      id: generateToken(16),
      userId,
      name: cleanName(name) ?? `Passkey ${now.toISOString().slice(0, 10)}`,
      createdAt: now,
    };
    await this.#ctx.changes.run(async (change) => {
      if (!(await this.#store.insertPasskey(passkey, change.tx)))
        throw new PasskeyError("passkey_exists", "this passkey is registered already");
      await change.report({ type: "passkey", action: "added", userId, email, client });
      await change.mail("passkey_added", email);
    });
    return toInfo({ ...passkey, lastUsedAt: null });
  }

  /** @throws NoResultFound when the user has no passkey with this id. */
  async rename(
    current: SignedIn,
    id: string,
    name: string,
    client: SessionClient,
  ): Promise<PasskeyInfo> {
    const { id: userId, email } = current.user;
    const cleaned = cleanName(name);
    if (!cleaned) throw new PasskeyError("invalid_passkey", "a passkey's name must not be empty");
    if (!(await this.#store.rename(userId, id, cleaned)))
      throw new NoResultFound("no such passkey");
    this.#ctx.emit({ type: "passkey", action: "renamed", userId, email, client });
    const renamed = await this.#store.findOfUser(userId, id);
    if (!renamed) throw new NoResultFound("no such passkey");
    return toInfo(renamed);
  }

  /**
   * Removes one of the user's passkeys after the current password and, unless
   * the session was opened moments ago, a current second factor (which may be
   * that passkey). `secondFactorLeft`: whether the account still has one.
   * @throws NoResultFound, LoginThrottledError.
   */
  async remove(
    current: SignedIn,
    id: string,
    proof: OwnerProof,
    client: SessionClient,
  ): Promise<Reauthenticated<{ secondFactorLeft: boolean }>> {
    const { id: userId, email } = current.user;
    if (!(await this.#store.findOfUser(userId, id))) throw new NoResultFound("no such passkey");
    const asked = this.isRecentSignIn(current.session) ? proof.password : proof;
    return this.#core.reauthentication.guard(current, asked, client, async () => {
      await this.#ctx.changes.run(async (change) => {
        if (!(await this.#store.deletePasskey(userId, id, change.tx)))
          throw new NoResultFound("no such passkey");
        await change.report({ type: "passkey", action: "removed", userId, email, client });
        await change.mail("passkey_removed", email);
      });
      return { secondFactorLeft: await this.#core.factors.isOn(userId) };
    });
  }

  /**
   * An operator's reset (a user who lost every device): all the user's
   * passkeys go in the change's transaction, each one audited and announced
   * (passkey.removed, the operator as the client), and the user is told once.
   */
  async #removeAllByOperator(
    { id: userId, email }: Pick<User, "id" | "email">,
    change: Change,
    client: SessionClient,
  ): Promise<boolean> {
    const removed = await this.#store.deleteAllOfUser(userId, change.tx);
    for (let i = 0; i < removed; i++)
      await change.report({ type: "passkey", action: "removed", userId, email, client });
    if (removed > 0) await change.mail("passkey_removed", email, undefined, client.language);
    return removed > 0;
  }

  /**
   * Options for an assertion. Without a user, to sign in: no allowCredentials,
   * the authenticator offers its passkeys for this site. With the signed-in
   * user, to prove a second factor before a sensitive change.
   */
  async requestOptions(current?: SignedIn): Promise<PublicKeyCredentialRequestOptionsJSON> {
    if (!current) return this.#ceremonies.requestOptions(null);
    const { id } = current.user;
    return this.#ceremonies.requestOptions({ id, passkeys: await this.#store.listOfUser(id) });
  }

  /**
   * Options to sign in with a passkey (anyone may ask): counted per client
   * address first, since each one is a stored challenge.
   * @throws PasskeyOptionsThrottledError past the address's limit.
   */
  async signInOptions(client: SessionClient): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.#optionsLimit?.hit(client.ip, this.#ctx.now());
    return this.#ceremonies.requestOptions(null);
  }

  /**
   * Signs in with a passkey and no password (SignIn.withPasskey): its
   * assertion must answer a sign-in challenge and carry user verification.
   * @throws PasskeyError (invalid_passkey, user_verification_required),
   *   LoginThrottledError, EmailNotVerifiedError.
   */
  async signIn(input: unknown, client: SessionClient): Promise<LoginResult> {
    const response = authenticationResponseOf(input);
    if (!response) throw invalidPasskey();
    // The passkey and its user in one read: the way in needs no second one.
    const found = await this.#store.findWithUser(response.id);
    if (!found) {
      this.#refused("unknown_credential", null, null, client);
      throw invalidPasskey();
    }
    const { passkey, user } = found;
    const rule: ChallengeRule = (challenge) => challenge.purpose === "sign_in";
    return this.#core.signIn.withPasskey(
      user,
      (owner) => this.#verify(passkey, owner, response, { rule, use: "sign_in", client }),
      client,
    );
  }

  /** Deletes challenges past their lifetime; the server calls it now and then. */
  purgeExpired(): Promise<void> {
    return this.#store.purgeExpiredChallenges(this.#ctx.now());
  }

  /**
   * The kind of second factor passkeys add: an assertion of one of the
   * user's passkeys, answering a challenge made for them or a sign-in one
   * (the login page's, for its second step). No user verification needed.
   */
  async #checkFactor(userId: number, proof: SecondFactorProof): Promise<AcceptedCode | null> {
    const response = authenticationResponseOf(proof);
    if (!response) return null;
    const passkey = await this.#store.findByCredentialId(response.id);
    const user = await this.#ctx.store.findUser({ id: userId });
    if (!user) return null;
    if (passkey?.userId !== userId) {
      this.#refused("unknown_credential", userId, user.email, {});
      return null;
    }
    const rule: ChallengeRule = (challenge) =>
      challenge.purpose === "sign_in" ||
      (challenge.purpose === "factor" && challenge.userId === userId);
    const use = "second_factor";
    const verified = await this.#verify(passkey, user, response, { rule, use, client: {} });
    return verified && { method: "passkey", spend: verified.spend };
  }

  /** Verifies an assertion; null (the refusal audited) when it does not hold. */
  async #verify(
    passkey: StoredPasskey,
    { id: userId, email }: Pick<User, "id" | "email">,
    response: AuthenticationResponseJSON,
    { rule, use: outcome, client }: { rule: ChallengeRule; use: PasskeyUse; client: SessionClient },
  ): Promise<VerifiedPasskey | null> {
    const verdict = await this.#ceremonies.verifyAssertion(passkey, response, rule);
    if (!verdict.ok) {
      this.#refused(verdict.reason, userId, email, client);
      if (verdict.reason === "counter_regression")
        await this.#ctx.mailQueue?.enqueue("passkey_counter_regression", email);
      return null;
    }
    const { counter, userVerified, backedUp } = verdict.value;
    return {
      userVerified,
      // In a sign-in's change (SignIn.withPasskey), the counter and its audit
      // row commit with the session; as a second factor, on their own.
      spend: async (change) => {
        const at = this.#ctx.now();
        const use = { counter, backedUp, at };
        const recorded = await this.#store.recordUse(
          passkey.rowId,
          passkey.counter,
          use,
          change?.tx,
        );
        if (!recorded) return false;
        const event = { type: "passkey", action: "used", outcome, userId, email, client } as const;
        if (change) await change.report(event);
        else this.#ctx.emit(event);
        return true;
      },
    };
  }

  #refused(
    outcome: PasskeyRefusal,
    userId: number | null,
    email: string | null,
    client: SessionClient,
  ): void {
    this.#ctx.emit({ type: "passkey", action: "refused", outcome, userId, email, client });
  }
}

function invalidPasskey(): PasskeyError {
  return new PasskeyError(
    "invalid_passkey",
    "the passkey's answer is not valid (unknown passkey, or a challenge that is unknown, used or expired): ask for new options and try again",
  );
}

/**
 * A name as shown: no control character, no lone surrogate (PostgreSQL
 * refuses NUL; a lone surrogate has no UTF-8), trimmed, bounded; undefined when empty.
 */
function cleanName(name: string | undefined): string | undefined {
  const printable = [...(name ?? "").toWellFormed()].filter(
    (char) => char >= " " && char !== "\u007f",
  );
  return printable.join("").trim().slice(0, PASSKEY_NAME_MAX_LENGTH) || undefined;
}

function toInfo(passkey: Omit<StoredPasskey, "rowId">): PasskeyInfo {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt,
    backedUp: passkey.backedUp,
  };
}
