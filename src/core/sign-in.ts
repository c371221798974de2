import { addressBucket } from "./address-bucket.js";
import {
  InvalidCodeError,
  InvalidMfaTokenError,
  PasskeyError,
  SecondFactorRequiredError,
} from "./errors.js";
import type { SecondFactorMethod } from "./events.js";
import type { FlowContext } from "./flow-context.js";
import { ServiceBusyError } from "./limiter.js";
import type {
  MfaChallengeStore,
  SecondFactorGate,
  SecondFactorProof,
  VerificationGate,
} from "./second-step.js";
import {
  type LoginWay,
  type SessionClient,
  sessionExpiry,
  USER_AGENT_MAX_LENGTH,
} from "./session.js";
import { LoginThrottledError } from "./throttle.js";
import { generateToken, hashToken, isPlausibleToken } from "./token.js";
import type { Change, Transaction } from "./unit-of-work.js";
import { toPublicUser, type User, type UserRecord } from "./user.js";

/** A successful login: who, and the session token to hand to the client. */
export interface LoginResult {
  user: User;
  sessionToken: string;
  /**
   * How the login's password step came in (its SessionClient's `way`): after
   * a second step, the way of the first, so the answer can match that login's.
   */
  firstStep?: LoginWay;
}

/** How long an mfa_token lives: the time to open an authenticator app and type. */
export const MFA_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Wrong codes one mfa_token takes before it dies. */
export const MFA_TOKEN_MAX_FAILURES = 5;

/** A passkey assertion the passkeys capability verified, for a sign-in without password. */
export interface VerifiedPasskey {
  /** The authenticator verified the user (PIN, biometrics): the passkey is both factors. */
  userVerified: boolean;
  /**
   * Records the use (its signature counter), in the session's change when
   * given: one transaction with the session. False when a concurrent use came first.
   */
  spend(change?: Change): Promise<boolean>;
}

/** What a way in has proven about the person, beside who they are. */
export interface Proof {
  /** A second factor was checked (a TOTP or recovery code, a passkey), or a passkey with user verification was both. */
  secondFactor: boolean;
}

/**
 * Every way in to a session: the password (form, JSON, Basic, the hosted
 * pages, the library's Auth.login), and the second step with an mfa_token.
 * Whatever proved who the person is, #admit decides whether that is enough
 * and opens the session: a later way in (a passkey, the OpenID provider's
 * login) adds a method here and ends in #admit, so the second factor, the
 * throttling and the audit trail apply to it without a second copy.
 */
export class SignIn {
  readonly #ctx: FlowContext;
  readonly #factors: SecondFactorGate;
  readonly #challenges: MfaChallengeStore;
  readonly #addresses: VerificationGate;

  constructor(
    ctx: FlowContext,
    dependencies: {
      factors: SecondFactorGate;
      challenges: MfaChallengeStore;
      addresses: VerificationGate;
    },
  ) {
    this.#ctx = ctx;
    this.#factors = dependencies.factors;
    this.#challenges = dependencies.challenges;
    this.#addresses = dependencies.addresses;
  }

  /**
   * Email and password. Null when they are wrong.
   * @throws LoginThrottledError (before any hashing), ServiceBusyError, or
   *   SecondFactorRequiredError (right password; the account has a factor).
   */
  async withPassword(
    email: string,
    password: string,
    client: SessionClient,
  ): Promise<LoginResult | null> {
    // Logins wait for a hash slot in their address's turn: a flood from one
    // address does not hold everyone else's behind it.
    const turn = addressBucket(client.ip ?? "");
    try {
      this.#ctx.hasher.assertCapacity("login", turn); // a login storm is refused before any database work
      await this.#ctx.throttle.assertAllowed(email, client.ip, this.#ctx.now());
    } catch (error) {
      if (error instanceof LoginThrottledError)
        this.#ctx.emit({ type: "login", outcome: "throttled", email, client });
      if (error instanceof ServiceBusyError)
        this.#ctx.emit({ type: "login", outcome: "busy", email, client });
      throw error;
    }
    const user = await this.checkCredentials(email, password, turn);
    if (!user) {
      this.#ctx.emit({ type: "login", outcome: "failure", email, client });
      await this.#ctx.throttle.recordFailure(email, client.ip, this.#ctx.now());
      return null;
    }
    return this.#admit(user, client, { secondFactor: false }, client.way);
  }

  /**
   * The second step: the mfa_token a password login answered with, and a
   * TOTP code or a recovery code. Wrong codes count toward the account's
   * login throttling, and the token dies after MFA_TOKEN_MAX_FAILURES.
   * @throws InvalidMfaTokenError, InvalidCodeError, LoginThrottledError.
   */
  async withSecondFactor(
    mfaToken: string,
    code: SecondFactorProof,
    client: SessionClient,
  ): Promise<LoginResult> {
    // A full hash queue refuses before any database work (a recovery code costs a scrypt).
    this.#ctx.hasher.assertCapacity();
    const now = this.#ctx.now();
    const tokenHash = isPlausibleToken(mfaToken) ? hashToken(mfaToken) : null;
    // Every attempt is counted before its code is checked, on the token and
    // on the account, each in one statement: of attempts sent at once, only
    // those within the limits are checked at all.
    const challenge = tokenHash
      ? await this.#challenges.reserveMfaAttempt(tokenHash, now, MFA_TOKEN_MAX_FAILURES)
      : null;
    const record = challenge ? await this.#ctx.store.findUser({ id: challenge.userId }) : null;
    if (!tokenHash || !challenge || !record) {
      this.#ctx.emit({ type: "mfa_challenge", outcome: "invalid_token", client });
      throw new InvalidMfaTokenError();
    }
    const { id: userId, email } = record;
    try {
      await this.#reserveAttempt(email, client.ip);
    } catch (error) {
      if (error instanceof LoginThrottledError)
        this.#ctx.emit({ type: "mfa_challenge", outcome: "throttled", userId, email, client });
      throw error;
    }
    const accepted = await this.#factors.check(userId, code);
    if (accepted) {
      // The challenge is finished once, before the code is spent: of two
      // requests racing with one token, one wins and the other spends nothing.
      if (!(await this.#challenges.deleteMfaChallenge(tokenHash))) {
        this.#ctx.emit({ type: "mfa_challenge", outcome: "invalid_token", userId, email, client });
        throw new InvalidMfaTokenError();
      }
      // False only when another login used this step or code in the meantime.
      if (await accepted.spend()) {
        const firstStep = challenge.firstStep ?? undefined;
        return this.#secondFactorPassed(toPublicUser(record), accepted.method, client, firstStep);
      }
    }
    // The account's share of the failure was counted above; the address's now.
    await this.#ctx.throttle.recordAddressFailure(client.ip, this.#ctx.now());
    const spent = challenge.failures >= MFA_TOKEN_MAX_FAILURES;
    if (spent) await this.#challenges.deleteMfaChallenge(tokenHash);
    this.#ctx.emit({
      type: "mfa_challenge",
      outcome: spent ? "token_spent" : "failure",
      userId,
      email,
      client,
    });
    throw spent ? new InvalidMfaTokenError() : new InvalidCodeError();
  }

  /**
   * A passkey and no password: its credential named the user (`record`,
   * which the passkeys capability reads with the passkey), and `verify`
   * checks the assertion (null when it does not hold: the capability says
   * why in the audit trail). One with user verification is both factors;
   * one without opens no session (after the password it is a second factor,
   * through withSecondFactor). A locked account or address is refused first.
   * @throws PasskeyError, LoginThrottledError.
   */
  async withPasskey(
    record: UserRecord,
    verify: (user: User) => Promise<VerifiedPasskey | null>,
    client: SessionClient,
  ): Promise<LoginResult> {
    const { id: userId, email } = record;
    await this.#assertLoginAllowed(userId, email, client);
    const user = toPublicUser(record);
    const verified = await verify(user);
    if (!verified) {
      await this.#ctx.throttle.recordAddressFailure(client.ip, this.#ctx.now());
      throw new PasskeyError("invalid_passkey", "the passkey's answer is not valid: try again");
    }
    if (!verified.userVerified) {
      const outcome = "user_verification_required";
      this.#ctx.emit({ type: "passkey", action: "refused", outcome, userId, email, client });
      throw new PasskeyError(
        outcome,
        "this passkey did not verify you (PIN or biometrics): log in with your password, then use it as the second step",
      );
    }
    // The use is recorded in the session's transaction (one commit, not two).
    // False only when the same assertion was used meanwhile: no session then.
    return this.#admit(user, client, { secondFactor: true }, client.way, async (change) => {
      if (!(await verified.spend(change)))
        throw new PasskeyError("invalid_passkey", "this passkey's answer was used already");
    });
  }

  /**
   * An identity of another provider linked to this account, whose upstream
   * sign-in the social-login capability has checked (ID token, state, nonce,
   * PKCE). Null when the account is gone. A locked account or address is
   * refused; the address rule and the second factor apply in #admit, as to a
   * password (the upstream sign-in is one factor).
   * @throws LoginThrottledError, SecondFactorRequiredError, EmailNotVerifiedError.
   */
  async withLinkedIdentity(userId: number, client: SessionClient): Promise<LoginResult | null> {
    const record = await this.#ctx.store.findUser({ id: userId });
    if (!record) return null;
    await this.#assertLoginAllowed(userId, record.email, client);
    return this.#admit(toPublicUser(record), client, { secondFactor: false }, client.way);
  }

  /**
   * Refuses a locked account or address before a way in without a password
   * (a passkey, a linked identity) is tried, counting the refusal as a
   * throttled login of that user.
   * @throws LoginThrottledError
   */
  async #assertLoginAllowed(userId: number, email: string, client: SessionClient): Promise<void> {
    try {
      await this.#ctx.throttle.assertAllowed(email, client.ip, this.#ctx.now());
    } catch (error) {
      if (error instanceof LoginThrottledError)
        this.#ctx.emit({ type: "login", outcome: "throttled", userId, email, client });
      throw error;
    }
  }

  /**
   * Refuses a locked account or address, then counts this attempt against
   * the account before its code is checked (LoginThrottle.reserveAttempt):
   * a burst of parallel guesses gets no more checks than one at a time. A
   * success clears the count in #admit. (A password login counts after its
   * check, as before: the hash queue bounds a burst of those.)
   * @throws LoginThrottledError
   */
  async #reserveAttempt(email: string, ip: string | null | undefined): Promise<void> {
    const { throttle } = this.#ctx;
    const now = this.#ctx.now();
    await throttle.assertAllowed(email, ip, now);
    if (await throttle.reserveAttempt(email, ip, now)) return;
    // Past a limit: reserveAttempt has just set its lock, which says how long.
    await throttle.assertAllowed(email, ip, now);
    throw new LoginThrottledError(this.#ctx.settings.loginLockoutBase);
  }

  async #secondFactorPassed(
    user: User,
    method: SecondFactorMethod,
    client: SessionClient,
    firstStep: LoginWay | undefined,
  ): Promise<LoginResult> {
    const { id: userId, email } = user;
    const recoveryCodesLeft =
      method === "recovery_code" ? await this.#factors.recoveryCodesLeft(userId) : undefined;
    this.#ctx.emit({
      type: "mfa_challenge",
      outcome: "success",
      method,
      recoveryCodesLeft,
      userId,
      email,
      client,
    });
    if (method === "recovery_code")
      await this.#ctx.mailQueue?.enqueue(
        "recovery_code_used",
        email,
        undefined,
        undefined,
        client.language,
      );
    return this.#admit(user, client, { secondFactor: true }, firstStep);
  }

  /**
   * The one place a proven person gets a session: with a second factor on
   * and not yet checked, an mfa_token instead (and the login's throttling
   * stays as it is until the second step succeeds, so a known password does
   * not buy fresh code guesses). `firstStep`: how the password step came in,
   * kept with the mfa_token and handed back with the session.
   */
  async #admit(
    user: User,
    client: SessionClient,
    proof: Proof,
    firstStep: LoginWay | undefined,
    /** More of the session's change, before the session: it may refuse (throw), and nothing is written. */
    alsoInChange?: (change: Change) => Promise<void>,
  ): Promise<LoginResult> {
    const { id: userId, email } = user;
    // First: an unverified address gets neither a session nor an mfa_token.
    await this.#addresses.assertVerified(user, client);
    if (!proof.secondFactor && (await this.#factors.isOn(userId))) {
      const mfaToken = generateToken();
      const now = this.#ctx.now();
      await this.#challenges.insertMfaChallenge({
        tokenHash: hashToken(mfaToken),
        userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + MFA_TOKEN_LIFETIME_MS),
        firstStep: firstStep ?? null,
      });
      this.#ctx.emit({ type: "mfa_challenge", outcome: "required", userId, email, client });
      throw new SecondFactorRequiredError(mfaToken, email);
    }
    // Before the session, so a throttling store that is down (Redis) refuses
    // the login (503) with nothing written, rather than after it.
    await this.#ctx.throttle.clearAccount(email, client.ip);
    const sessionToken = await this.#ctx.changes.run(async (change) => {
      await alsoInChange?.(change);
      const token = await this.openSession(userId, client, change.tx);
      await change.report({ type: "login", outcome: "success", userId, email, client });
      return token;
    });
    return firstStep ? { user, sessionToken, firstStep } : { user, sessionToken };
  }

  /**
   * The user when the email is registered and the password is its password.
   * An unknown email costs one verification against a dummy hash, so it
   * answers in the same time as a wrong password. Checks nothing else.
   * `turn`: the client's address bucket, whose turn the hash waits for.
   */
  async checkCredentials(email: string, password: string, turn = ""): Promise<User | null> {
    const user = await this.#ctx.store.findUser({ email });
    if (!user) {
      await this.#ctx.hasher.verifyDummy(password, turn);
      return null;
    }
    if (!(await this.#ctx.hasher.verify(password, user.hashedPassword, "login", turn))) return null;
    await this.#rehashIfOutdated(user, password);
    return toPublicUser(user);
  }

  /**
   * A new session for the user, unconditionally: only #admit and the
   * original library's createSession (documented as skipping every check) call it.
   */
  async openSession(userId: number, client: SessionClient, tx?: Transaction): Promise<string> {
    const token = generateToken();
    const now = this.#ctx.now();
    await this.#ctx.store.insertSession(
      {
        publicId: generateToken(16),
        tokenHash: hashToken(token),
        userId,
        createdAt: now,
        expiresAt: sessionExpiry(now, this.#ctx.settings),
        ip: client.ip ?? null,
        userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      },
      tx,
    );
    return token;
  }

  /** After a login, moves a hash made with older settings to the current ones. */
  async #rehashIfOutdated(user: UserRecord, password: string): Promise<void> {
    const { hasher } = this.#ctx;
    if (!hasher.needsRehash(user.hashedPassword)) return;
    // The policy is not applied here: an old password that today's rules would
    // refuse still deserves today's hash. Only one bcrypt cannot take stays put.
    if (!hasher.canHash(password)) return;
    // Part of a login that has already passed: it must not wait behind other work.
    const hashedPassword = await hasher.hash(password, "login");
    await this.#ctx.store.updateUser(user.id, { hashedPassword }, this.#ctx.now());
  }
}
