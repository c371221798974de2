import type { FlowContext } from "./flow-context.js";
import type { SessionClient } from "./session.js";
import type { User } from "./user.js";

/**
 * The ways sessions (and users) end, behind Auth's revoke and delete
 * methods: each is one unit of work, so the deleted rows and their audit
 * row (and webhook) commit together.
 */
export class SessionEnds {
  readonly #ctx: FlowContext;

  constructor(ctx: FlowContext) {
    this.#ctx = ctx;
  }

  /** A logout: the session of this token hash. False when it was gone already. */
  byTokenHash(user: User, tokenHash: string, client: SessionClient): Promise<boolean> {
    return this.#ctx.changes.run(async (change) => {
      const ended = await this.#ctx.store.deleteSessionByTokenHash(tokenHash, change.tx);
      if (ended)
        await change.report({ type: "logout", userId: user.id, email: user.email, client });
      return ended;
    });
  }

  /** One of the user's sessions by its public id, reported as a logout. */
  byPublicId(user: User, publicId: string, client: SessionClient): Promise<boolean> {
    return this.#ctx.changes.run(async (change) => {
      const ended = await this.#ctx.store.deleteSessionOfUser(user.id, publicId, change.tx);
      if (ended)
        await change.report({ type: "logout", userId: user.id, email: user.email, client });
      return ended;
    });
  }

  /** Every session of the user, or all but `keepSessionId`; how many ended. */
  allOf(user: User, client: SessionClient, keepSessionId?: number): Promise<number> {
    return this.#ctx.changes.run(async (change) => {
      const { store } = this.#ctx;
      const count =
        keepSessionId === undefined
          ? await store.deleteSessionsOfUser(user.id, change.tx)
          : await store.deleteOtherSessionsOfUser(user.id, keepSessionId, change.tx);
      const { id: userId, email } = user;
      await change.report({ type: "sessions_revoked", count, userId, email, client });
      return count;
    });
  }

  /** The user, with their sessions and tokens; the audit trail keeps their history. */
  deleteUser(user: User, client: SessionClient): Promise<boolean> {
    return this.#ctx.changes.run(async (change) => {
      const deleted = await this.#ctx.store.deleteUser(user.id, change.tx);
      const { id: userId, email } = user;
      if (deleted) await change.report({ type: "user_deleted", userId, email, client });
      return deleted;
    });
  }
}
