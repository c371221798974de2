import { UserAlreadyExistsError } from "./errors.js";
import type { FlowContext } from "./flow-context.js";
import { ServiceBusyError } from "./limiter.js";
import { type RegistrationLimit, RegistrationThrottledError } from "./registration-limit.js";
import type { SessionClient } from "./session.js";
import type { Change } from "./unit-of-work.js";
import { assertValidEmail, toPublicUser, type User } from "./user.js";

/** Registration behind Auth.registerUser (limited) and Auth.createUser (an operator's, not). */
export class Registration {
  readonly #ctx: FlowContext;
  readonly #limit: RegistrationLimit;

  constructor(ctx: FlowContext, limit: RegistrationLimit) {
    this.#ctx = ctx;
    this.#limit = limit;
  }

  async register(
    email: string,
    password: string,
    client: SessionClient,
    limited: boolean,
    /** More of the same change (a verification link), in its transaction. */
    alongside: (user: User, change: Change) => Promise<void>,
  ): Promise<User> {
    assertValidEmail(email);
    this.#ctx.passwordPolicy.assertAcceptable(password, { email });
    try {
      this.#ctx.hasher.assertCapacity("other");
      // Not the guard (the unique index is): it only spares a hash for a taken email.
      if (await this.#ctx.store.findUser({ email })) throw new UserAlreadyExistsError(email);
      // Counted only for what will cost a hash: refusals cost nothing, so they
      // must not spend the overall limit and shut registration for everyone.
      if (limited) await this.#limit.hit(client.ip, this.#ctx.now());
      const hashedPassword = await this.#ctx.hasher.hash(password);
      // The user row, its audit row, its webhook and its verification link
      // commit together: a registration that lands (even one answered 503
      // after a timeout) is never missing from the audit trail.
      return await this.#ctx.changes.run(async (change) => {
        const now = this.#ctx.now();
        const user = toPublicUser(
          await this.#ctx.store.insertUser(email, hashedPassword, now, change.tx),
        );
        await change.report({
          type: "registration",
          outcome: "success",
          userId: user.id,
          email,
          client,
        });
        await alongside(user, change);
        return user;
      });
    } catch (error) {
      const outcome =
        error instanceof UserAlreadyExistsError
          ? "taken"
          : error instanceof RegistrationThrottledError
            ? "throttled"
            : error instanceof ServiceBusyError
              ? "busy"
              : null;
      if (outcome) this.#ctx.emit({ type: "registration", outcome, email, client });
      throw error;
    }
  }
}
