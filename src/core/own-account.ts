import type { FlowContext } from "./flow-context.js";
import type {
  OwnerProof,
  Reauthenticated,
  Reauthentication,
  SignedIn,
} from "./reauthentication.js";
import type { SessionClient, SessionInfo } from "./session.js";
import { toSessionInfo } from "./session.js";

/**
 * What the owner of an account does with it as a whole: takes a copy of
 * what the service keeps about them (the core's part; each capability adds
 * its own, see Capability.exportData), and deletes it.
 */
export class OwnAccount {
  readonly #ctx: FlowContext;
  readonly #reauthentication: Reauthentication;

  constructor(ctx: FlowContext, reauthentication: Reauthentication) {
    this.#ctx = ctx;
    this.#reauthentication = reauthentication;
  }

  /** The core's part of an export: the profile and the live sessions (never a token or a hash). */
  async exportOf(current: SignedIn): Promise<Record<string, unknown>> {
    const { user, session } = current;
    const record = await this.#ctx.store.findUser({ id: user.id });
    const sessions = await this.#ctx.store.listSessionsOfUser(user.id, this.#ctx.now());
    return {
      profile: {
        id: user.id,
        email: user.email,
        created_at: user.createdAt.toISOString(),
        updated_at: user.updatedAt.toISOString(),
        email_verified_at: user.emailVerifiedAt?.toISOString() ?? null,
        has_password: record !== null && record.hashedPassword !== null,
      },
      sessions: sessions.map((stored) => exportedSession(toSessionInfo(stored, session.id))),
    };
  }

  /**
   * Deletes the account after the password (and a current code, when it has
   * a second factor), in one transaction: every row kept about the user
   * (store/erasure.ts), its sessions with it; a `user_deleted` event
   * (audited without the email or client, webhook user.deleted) and a
   * notice mail to the address, queued in the same transaction.
   */
  delete(
    current: SignedIn,
    proof: OwnerProof,
    client: SessionClient,
  ): Promise<Reauthenticated<boolean>> {
    const { id, email } = current.user;
    return this.#reauthentication.guard(current, proof, client, async () => {
      const erased = await this.#ctx.changes.run(async (change) => {
        const done = await this.#ctx.store.eraseUser({ id, email }, change.tx);
        if (!done) return false;
        await change.report({ type: "user_deleted", erased: true, userId: id, email, client });
        await change.mail("account_deleted", email, undefined, client.language);
        return true;
      });
      // The account's run of failures in Redis, when throttling lives there (the database's went with it).
      await this.#ctx.changes.afterCommit("forget the erased account's login failures", () =>
        this.#ctx.throttle.clearAccount(email, client.ip),
      );
      return erased;
    });
  }
}

function exportedSession(session: SessionInfo): Record<string, unknown> {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_seen_at: session.lastSeenAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    ip: session.ip,
    user_agent: session.userAgent,
    current: session.current,
  };
}
