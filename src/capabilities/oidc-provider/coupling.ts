import type { AuthEvent } from "../../core/events.js";
import type { Transaction } from "../../core/unit-of-work.js";
import type { SubjectStore } from "./store.js";

/** The events that take an account back: the provider's sessions and refresh tokens end with them. */
function endsProviderSessions(event: AuthEvent): number | null {
  if (!("userId" in event) || typeof event.userId !== "number") return null;
  switch (event.type) {
    case "logout":
    case "password_changed":
    case "sessions_revoked":
      return event.userId;
    case "reset":
      return event.stage === "completed" ? event.userId : null;
    default:
      return null;
  }
}

/**
 * An event recorder (written in the change's transaction): logging out,
 * a password reset or change and ending sessions end the user's provider
 * sessions and refuse their refresh tokens (SubjectStore.endSessions; the
 * provider's findAccount refuses what was issued before). A deleted user's
 * `sub` goes with the user, and their provider rows with it (erasure step,
 * or deleteRowsOfDeletedUsers for a deletion that keeps the audit trail).
 */
export class OidcCoupling {
  /**
   * @param alsoRecord writes the `oauth_token_revoked` event of a take-back
   * that ended something, in the same transaction (the audit trail and the
   * webhooks: the other recorders).
   */
  constructor(
    private readonly subjects: SubjectStore,
    private readonly now: () => number = Date.now,
    private readonly alsoRecord?: (event: AuthEvent, tx: Transaction) => Promise<void>,
  ) {}

  record(_event: AuthEvent): void {}

  async recordIn(event: AuthEvent, tx: Transaction): Promise<void> {
    // The user row (and its `sub`) is gone already: its rows are found as the orphans.
    if (event.type === "user_deleted") {
      // An erasure (DELETE /profile) deleted them already (eraseProviderRowsOf).
      if (!event.erased) await this.subjects.deleteRowsOfDeletedUsers(tx);
      return;
    }
    const userId = endsProviderSessions(event);
    if (userId === null) return;
    const ended = await this.subjects.endSessions(userId, this.now(), tx);
    if (ended > 0 && this.alsoRecord)
      await this.alsoRecord(
        {
          type: "oauth_token_revoked",
          reason: "take_back",
          userId,
          email: "email" in event ? event.email : null,
          client: "client" in event ? event.client : undefined,
        },
        tx,
      );
  }
}
