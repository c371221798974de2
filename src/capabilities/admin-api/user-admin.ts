import type { Accounts } from "../../core/accounts.js";
import type { SecondFactorFacts } from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import type { AuthStore, UserSummary } from "../../core/store.js";
import type { User } from "../../core/user.js";

/** A user as an operator looks one up: the summary, and the second factors' facts. */
export interface UserDetails extends UserSummary {
  secondFactor: SecondFactorFacts;
}

/**
 * What an operator does to users (the admin API, and anything else acting
 * for one): list, look up, create, delete, end sessions. Changes go through
 * Auth, so they are audited and announced like any other; reads go to the
 * store. `client` names the operator (its user agent, e.g. "api-key deploy-bot").
 */
export class UserAdmin {
  readonly #auth: Accounts;
  readonly #store: AuthStore;
  readonly #now: () => Date;

  constructor(auth: Accounts, store: AuthStore, now: () => Date = () => new Date()) {
    this.#auth = auth;
    this.#store = store;
    this.#now = now;
  }

  /**
   * Users in id order after `afterId`, at most `limit`, and the cursor of the
   * next page (null on the last). With `email`, only the user who has it.
   */
  async list(options: {
    limit: number;
    afterId?: number;
    email?: string;
  }): Promise<{ users: UserSummary[]; next: number | null }> {
    if (options.email !== undefined) {
      const found = await this.#store.findUser({ email: options.email });
      const user = found && (await this.show(found.id));
      return { users: user ? [user] : [], next: null };
    }
    // One more than asked tells whether another page follows.
    const users = await this.#store.listUsers({
      limit: options.limit + 1,
      afterId: options.afterId,
      now: this.#now(),
    });
    const page = users.slice(0, options.limit);
    const last = page.at(-1);
    return { users: page, next: users.length > options.limit && last ? last.id : null };
  }

  /**
   * One user with their live session count and second factors (each kind's
   * facts, through the core's port: TOTP, recovery codes, passkeys), never a
   * hash or secret; or null.
   */
  async show(id: number): Promise<UserDetails | null> {
    const record = await this.#store.findUser({ id });
    if (!record) return null;
    const sessions = await this.#store.listSessionsOfUser(id, this.#now());
    return {
      id: record.id,
      email: record.email,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      emailVerifiedAt: record.emailVerifiedAt,
      sessions: sessions.length,
      secondFactor: await this.#auth.secondFactorFacts(id),
    };
  }

  /**
   * Takes every second factor off the user (TOTP, recovery codes, passkeys),
   * audited and announced as the CLI's reset-mfa: true when one was on,
   * false when none was, null when no user has this id.
   */
  async resetSecondFactors(id: number, client: SessionClient): Promise<boolean | null> {
    const record = await this.#store.findUser({ id });
    return record ? this.#auth.resetSecondFactorsByOperator(record.email, client) : null;
  }

  /** @throws as Auth.createUser (UserAlreadyExistsError, InvalidPasswordError ...). */
  create(email: string, password: string, client: SessionClient): Promise<User> {
    return this.#auth.createUser(email, password, client);
  }

  /** False when no user has this id. */
  async delete(id: number, client: SessionClient): Promise<boolean> {
    const record = await this.#store.findUser({ id });
    return record ? this.#auth.deleteUser(record.email, client) : false;
  }

  /** How many sessions ended, or null when no user has this id. */
  async endSessions(id: number, client: SessionClient): Promise<number | null> {
    const record = await this.#store.findUser({ id });
    return record ? this.#auth.revokeAllSessions(record.email, client) : null;
  }
}
