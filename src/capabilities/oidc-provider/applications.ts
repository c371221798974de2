import type { SessionClient } from "../../core/session.js";
import type { UnitOfWork } from "../../core/unit-of-work.js";
import type { User } from "../../core/user.js";
import type { ClientStore } from "./clients.js";
import type { PayloadStore } from "./payload-store.js";
import type { SubjectStore } from "./store.js";

/** A client a user allowed (ASVS 5.0 10.4.9, 10.7.3): what it may see, since when. */
export interface Application {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: Date;
}

/** The scopes the provider offers, in the order the pages name them. */
const SCOPE_ORDER = ["openid", "email", "offline_access"];

/**
 * The applications a user gave access to through the provider, from their
 * live grants (one entry per client), and taking that access back: every
 * grant of the user to the client goes, with its tokens and codes, in one
 * audited change (the `oauth_token_revoked` event, reason user_revoked).
 */
export class Applications {
  constructor(
    private readonly stores: {
      payloads: PayloadStore;
      subjects: SubjectStore;
      clients: ClientStore;
    },
    private readonly changes: Pick<UnitOfWork, "run">,
  ) {}

  async list(userId: number): Promise<Application[]> {
    const { payloads, subjects, clients } = this.stores;
    const grants = await payloads.grantsOf(await subjects.subjectOf(userId));
    const byClient = new Map<string, Application>();
    for (const grant of grants) {
      const known = byClient.get(grant.clientId);
      if (known) {
        known.scopes = [...new Set([...known.scopes, ...grant.scopes])];
        continue;
      }
      const metadata = await clients.metadataOf(grant.clientId);
      // A client deleted since: its grants go with it (ClientStore.delete).
      if (!metadata) continue;
      const name = typeof metadata.client_name === "string" ? metadata.client_name : grant.clientId;
      byClient.set(grant.clientId, { ...grant, name, scopes: [...grant.scopes] });
    }
    return [...byClient.values()].map(({ clientId, name, scopes, grantedAt }) => ({
      clientId,
      name,
      scopes: SCOPE_ORDER.filter((scope) => scopes.includes(scope)),
      grantedAt,
    }));
  }

  /** Takes the client's access away from the user; false when it had none. */
  async revoke(user: User, clientId: string, client: SessionClient): Promise<boolean> {
    const { payloads, subjects } = this.stores;
    // Made (if need be) before the change: SQLite's one connection is the transaction's then.
    const sub = await subjects.subjectOf(user.id);
    return this.changes.run(async (change) => {
      if ((await payloads.revokeGrantsOf(sub, clientId, change.tx)) === 0) return false;
      await change.report({
        type: "oauth_token_revoked",
        reason: "user_revoked",
        clientId,
        userId: user.id,
        email: user.email,
        client,
      });
      return true;
    });
  }
}
