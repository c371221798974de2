import type { LoginResult } from "../../core/accounts.js";
import type { LinkedIdentity } from "./store.js";
import type { UpstreamIdentity } from "./upstream.js";

/** A callback that held: who signed in where, and what the flow carried. */
export interface VerifiedCallback {
  /** The provider, as shown (never its secret). */
  provider: { id: string; name: string };
  identity: UpstreamIdentity;
  returnTo: string | undefined;
  linkUserId: number | null;
}

/** What a verified callback comes to (a session, or a page to show). */
export type Admission =
  | { kind: "session"; result: LoginResult }
  /** An account has the email: its password is asked (the token names the request). */
  | { kind: "link_required"; token: string; email: string }
  /** Linked to the signed-in user who asked for it (/account). */
  | { kind: "linked" }
  | { kind: "refused"; reason: "no_verified_email" | "identity_taken" };

/** An identity's account, as the library and the API show it. */
export interface IdentityInfo {
  id: string;
  provider: string;
  email: string | null;
  linkedAt: string;
}

/** An identity as shown: never its subject at the provider. */
export function toInfo(identity: LinkedIdentity): IdentityInfo {
  return {
    id: identity.id,
    provider: identity.provider,
    email: identity.email,
    linkedAt: identity.linkedAt.toISOString(),
  };
}
