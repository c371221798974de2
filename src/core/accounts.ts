import type { AuthCore } from "./auth-core.js";
import type { Core } from "./open-core.js";
import { OwnAccount } from "./own-account.js";
import type { PasswordHasher } from "./password.js";
import { PasswordChange, type PasswordChangeOutcome } from "./password-change.js";
import type { PasswordPolicy } from "./password-policy.js";
import { answersWithin } from "./readiness.js";
import type {
  OwnerProof,
  Reauthenticated,
  Reauthentication,
  SignedIn,
} from "./reauthentication.js";
import { Registration } from "./registration.js";
import { RegistrationLimit } from "./registration-limit.js";
import type {
  MfaChallengeStore,
  SecondFactorFacts,
  SecondFactorGate,
  SecondFactorProof,
  VerificationGate,
} from "./second-step.js";
import {
  type SessionClient,
  type SessionInfo,
  type StoredSession,
  sessionState,
  toSessionInfo,
} from "./session.js";
import { SessionEnds } from "./session-ends.js";
import type { AuthSettings } from "./settings.js";
import { type LoginResult, SignIn } from "./sign-in.js";
import type { AuthStore } from "./store.js";
import { hashToken, isPlausibleToken } from "./token.js";
import type { Change } from "./unit-of-work.js";
import type { User } from "./user.js";

export { type Core, type CoreDependencies, openCore } from "./open-core.js";
export type { LoginResult } from "./sign-in.js";

/**
 * What the capabilities plug into the core's ways in. The core knows no
 * factor and no verification rule of its own: these answer for them.
 */
export interface AccountGates {
  /** Whether a second factor is on, and checking its codes. */
  factors: SecondFactorGate;
  /** Logins waiting for their second step. */
  challenges: MfaChallengeStore;
  /** Whether the address must be verified before a session opens. */
  verification: VerificationGate;
  /** The current password (and factor) asked again before a sensitive change. */
  reauthentication: Reauthentication;
  /** More of a registration's change, in its transaction (a verification link). */
  onRegistered?: (user: User, change: Change, client: SessionClient) => Promise<void>;
}

/**
 * Accounts and sessions: the original service's `Auth` class, with sessions
 * and reset tokens hashed at rest, expiring, and revocable. It knows the
 * store interface, never a database, HTTP or the environment; every way in
 * opens its session through SignIn.
 */
export class Accounts {
  readonly settings: AuthSettings;
  readonly hasher: PasswordHasher;
  readonly passwordPolicy: PasswordPolicy;
  /** What a capability that adds a way in or a factor is built on (passkeys). */
  readonly core: AuthCore;
  readonly #store: AuthStore;
  readonly #challenges: MfaChallengeStore;
  readonly #signIn: SignIn;
  readonly #registration: Registration;
  readonly #passwordChange: PasswordChange;
  readonly #now: () => Date;
  readonly #ends: SessionEnds;
  readonly #onRegistered: (user: User, change: Change, client: SessionClient) => Promise<void>;
  readonly #ownAccount: OwnAccount;

  constructor(core: Core, gates: AccountGates) {
    const { flows } = core;
    this.settings = core.settings;
    this.hasher = core.hasher;
    this.passwordPolicy = core.passwordPolicy;
    this.#store = core.store;
    this.#now = core.now;
    this.#challenges = gates.challenges;
    this.#onRegistered = gates.onRegistered ?? (async () => {});
    this.#passwordChange = new PasswordChange(flows, gates.reauthentication);
    this.#signIn = new SignIn(flows, {
      factors: gates.factors,
      challenges: gates.challenges,
      addresses: gates.verification,
    });
    this.#registration = new Registration(
      flows,
      new RegistrationLimit(core.counters, core.settings),
    );
    this.#ends = new SessionEnds(flows);
    this.core = {
      flows,
      signIn: this.#signIn,
      reauthentication: gates.reauthentication,
      factors: gates.factors,
    };
    this.#ownAccount = new OwnAccount(flows, gates.reauthentication);
  }

  /** The core's part of the signed-in user's export: profile and sessions (see OwnAccount). */
  exportOwnData(current: SignedIn): Promise<Record<string, unknown>> {
    return this.#ownAccount.exportOf(current);
  }

  /**
   * Deletes the account of this token's user, and everything kept about it,
   * after its password (and a current code when it has a second factor).
   * @returns done (true; false when it was gone already), or the check's refusal.
   * @throws LoginThrottledError while the account or address is locked.
   */
  async deleteOwnAccount(
    token: string | null | undefined,
    proof: OwnerProof,
    client: SessionClient = {},
  ): Promise<Reauthenticated<boolean>> {
    const current = await this.#authenticate(token);
    if (!current) return { outcome: "no_session" };
    return this.#ownAccount.delete(current, proof, client);
  }

  /**
   * Registers a user and returns it (without the hash).
   * @throws InvalidEmailError, InvalidPasswordError, or UserAlreadyExistsError
   *   ("User <email> already exists"); the last is decided by the database's
   *   unique index, so two concurrent registrations can never both succeed.
   */
  registerUser(email: string, password: string, client: SessionClient = {}): Promise<User> {
    // The verification link is queued in the registration's own transaction.
    return this.#registration.register(email, password, client, true, (user, change) =>
      this.#onRegistered(user, change, client),
    );
  }

  /**
   * Registers a user on an operator's behalf (CLI, admin API): as
   * registerUser, without the registration limits, which guard the public
   * route; the caller is already authenticated.
   */
  createUser(email: string, password: string, client: SessionClient = {}): Promise<User> {
    return this.#registration.register(email, password, client, false, (user, change) =>
      this.#onRegistered(user, change, client),
    );
  }

  /**
   * True when the email is registered and the password is its password. An
   * unknown email costs one verification against a dummy hash, so it answers in
   * the same time as a wrong password. The original's meaning: it checks the
   * password only (no throttling, no second factor); log people in with login().
   */
  async validLogin(email: string, password: string): Promise<boolean> {
    return (await this.#signIn.checkCredentials(email, password)) !== null;
  }

  /**
   * Checks the credentials and opens a session in one step; null when they are
   * wrong. Throttled per account and per client address (validLogin is not).
   * @throws LoginThrottledError while either is locked, before any hashing;
   *   SecondFactorRequiredError when the password is right and the account
   *   has a second factor: finish with completeLogin(error.mfaToken, code).
   */
  login(email: string, password: string, client: SessionClient = {}): Promise<LoginResult | null> {
    return this.#signIn.withPassword(email, password, client);
  }

  /**
   * The second step of a login: the mfa_token of a SecondFactorRequiredError and a TOTP code,
   * an unused recovery code or a passkey assertion. @throws InvalidCodeError (wrong code: the
   * token takes 5), InvalidMfaTokenError (unknown, used, expired or spent), LoginThrottledError.
   */
  completeLogin(
    mfaToken: string,
    code: SecondFactorProof,
    client: SessionClient = {},
  ): Promise<LoginResult> {
    return this.#signIn.withSecondFactor(mfaToken, code, client);
  }

  /**
   * Opens a new session for the user with this email and returns its token, or
   * null when no user has this email. Each call makes a new token; earlier
   * sessions stay valid until they end or are revoked. The original's meaning:
   * it checks nothing, the second factor included; log people in with login().
   */
  async createSession(email: string, client: SessionClient = {}): Promise<string | null> {
    const user = await this.#store.findUser({ email });
    return user ? this.#signIn.openSession(user.id, client) : null;
  }

  /** The live session a token opened and its user (renewing it when due); null otherwise. */
  signedIn(
    token: string | null | undefined,
  ): Promise<{ session: StoredSession; user: User } | null> {
    return this.#authenticate(token);
  }

  /**
   * The user a session token belongs to, or null when the token is unknown,
   * expired or revoked. The last-seen time is written at most once per renewal
   * interval, so most reads do not write.
   */
  async getUserFromSessionId(token: string | null | undefined): Promise<User | null> {
    return (await this.#authenticate(token))?.user ?? null;
  }

  /**
   * The sessions of the user this token belongs to, newest first, or null when
   * the token is not a live session. Each carries its public id (never the
   * token or its hash) and whether it is the one asking.
   */
  async listSessions(token: string | null | undefined): Promise<SessionInfo[] | null> {
    return (await this.accountOf(token))?.sessions ?? null;
  }

  /** The user this token belongs to and their sessions (as listSessions), in one authentication. */
  async accountOf(
    token: string | null | undefined,
  ): Promise<{ user: User; sessions: SessionInfo[] } | null> {
    const current = await this.#authenticate(token);
    if (!current) return null;
    const sessions = await this.#store.listSessionsOfUser(current.user.id, this.#now());
    return {
      user: current.user,
      sessions: sessions.map((session) => toSessionInfo(session, current.session.id)),
    };
  }

  /**
   * Ends one of the asking user's sessions by its public id.
   * @returns "ended", "not_found" (no such session of this user), or
   *   "unauthenticated" (the token is not a live session).
   */
  async revokeSessionById(
    token: string | null | undefined,
    publicId: string,
    client: SessionClient = {},
  ): Promise<"ended" | "not_found" | "unauthenticated"> {
    const current = await this.#authenticate(token);
    if (!current) return "unauthenticated";
    return (await this.#ends.byPublicId(current.user, publicId, client)) ? "ended" : "not_found";
  }

  /**
   * Changes the password of the user this token belongs to, after checking the
   * current one, and ends every other session of the user. Wrong current
   * passwords count toward login throttling; after REAUTH_MAX_FAILURES the
   * session ends (see PasswordChange).
   * @returns "changed", "no_session" (the token is not a live session),
   *   "wrong_password", or "session_ended" (that wrong password was one too many).
   * @throws LoginThrottledError while the account or address is locked;
   *   InvalidPasswordError for a bad new password.
   */
  async changePassword(
    token: string | null | undefined,
    currentPassword: string,
    newPassword: string,
    client: SessionClient = {},
  ): Promise<PasswordChangeOutcome> {
    const current = await this.#authenticate(token);
    if (!current) return "no_session";
    return this.#passwordChange.change(current, currentPassword, newPassword, client);
  }

  /** The live session a token opened and its user, renewing it when due; null otherwise. */
  async #authenticate(
    token: string | null | undefined,
  ): Promise<{ session: StoredSession; user: User } | null> {
    if (!isPlausibleToken(token)) return null;
    const tokenHash = hashToken(token);
    const found = await this.#store.findSessionByTokenHash(tokenHash);
    if (!found) return null;
    const now = this.#now();
    const state = sessionState(found.session, now, this.settings);
    if (state === "expired") {
      await this.#store.deleteSessionByTokenHash(tokenHash);
      return null;
    }
    if (state === "renew") await this.#store.touchSession(found.session.id, now);
    return found;
  }

  /**
   * Deletes the user with this email (an operator's act): sessions and reset
   * token go with it; the audit trail keeps its history. False when none.
   */
  async deleteUser(email: string, client: SessionClient = {}): Promise<boolean> {
    const user = await this.#store.findUser({ email });
    return user ? this.#ends.deleteUser(user, client) : false;
  }

  /** Ends every session of the user with this email; how many, or null when there is no such user. */
  async revokeAllSessions(email: string, client: SessionClient = {}): Promise<number | null> {
    const user = await this.#store.findUser({ email });
    return user ? this.#ends.allOf(user, client) : null;
  }

  /**
   * An operator takes every second factor off the account with this email (a
   * user who lost their devices and codes): each kind removes its own (TOTP
   * and recovery codes, passkeys), audited and announced, in one transaction.
   * @returns true when one was on, false when none was, null when there is no such user.
   */
  async resetSecondFactorsByOperator(
    email: string,
    client: SessionClient = {},
  ): Promise<boolean | null> {
    const user = await this.#store.findUser({ email });
    if (!user) return null;
    const { factors, flows } = this.core;
    return flows.changes.run(
      async (change) => (await factors.removeByOperator?.(user, change, client)) ?? false,
    );
  }

  /** What an operator sees of the user's second factors: `on`, and each kind's facts. */
  async secondFactorFacts(userId: number): Promise<SecondFactorFacts> {
    const { factors } = this.core;
    return (await factors.describe?.(userId)) ?? { on: await factors.isOn(userId) };
  }

  /**
   * Ends every session of this token's user except this one ("sign out
   * everywhere else"), in one statement, audited as one `sessions_revoked`.
   * @returns how many ended, or null when the token is not a live session.
   */
  async revokeOtherSessions(
    token: string | null | undefined,
    client: SessionClient = {},
  ): Promise<number | null> {
    const current = await this.#authenticate(token);
    return current ? this.#ends.allOf(current.user, client, current.session.id) : null;
  }

  /** Ends every session of the user (the original's `destroy_session(user_id)`). */
  async destroySession(userId: number): Promise<void> {
    await this.#store.deleteSessionsOfUser(userId);
  }

  /** Ends the one session this token opened; false when there was none. */
  async revokeSession(
    token: string | null | undefined,
    client: SessionClient = {},
  ): Promise<boolean> {
    if (!isPlausibleToken(token)) return false;
    const tokenHash = hashToken(token);
    // Looked up first only so the audit trail can say whose session ended.
    const found = await this.#store.findSessionByTokenHash(tokenHash);
    return found ? this.#ends.byTokenHash(found.user, tokenHash, client) : false;
  }

  /** True when the database answers a trivial query within `timeoutMs`. */
  isDatabaseReady(timeoutMs = 2000): Promise<boolean> {
    return answersWithin(() => this.#store.ping(), timeoutMs);
  }

  /** Deletes expired sessions and login challenges; the server calls it now and then. */
  async purgeExpired(): Promise<void> {
    const now = this.#now();
    await this.#store.purgeExpired(now, new Date(now.getTime() - this.settings.sessionIdleTimeout));
    await this.#challenges.purgeExpiredMfaChallenges(now);
  }
}
