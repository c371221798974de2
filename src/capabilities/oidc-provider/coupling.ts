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
 * `sub` goes with the user, so their tokens find no account.
 */
export class OidcCoupling {
  constructor(
    private readonly subjects: SubjectStore,
    private readonly now: () => number = Date.now,
  ) {}

  record(_event: AuthEvent): void {}

  async recordIn(event: AuthEvent, tx: Transaction): Promise<void> {
    const userId = endsProviderSessions(event);
    if (userId !== null) await this.subjects.endSessions(userId, this.now(), tx);
  }
}
