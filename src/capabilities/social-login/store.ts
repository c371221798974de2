import type { Transaction } from "../../core/unit-of-work.js";

/** What kind of provider: OpenID Connect by discovery, or GitHub's plain OAuth 2. */
export type ProviderKind = "oidc" | "github";

/** A registered provider as stored: its client secret only sealed. */
export interface StoredProvider {
  /** The slug in /login/{id}. */
  id: string;
  name: string;
  kind: ProviderKind;
  /** The OpenID issuer (discovery), or GitHub's (its name only: no discovery). */
  issuer: string;
  /** OAuth 2 endpoints, for a provider without discovery (GitHub). */
  endpoints: ProviderEndpoints | null;
  clientId: string;
  /** Sealed under SECRET_KEY (secret-box.ts), context "social-login client secret <id>". */
  clientSecretSealed: string;
  /** Scopes asked besides `openid email`. */
  scopes: string[];
  createdAt: Date;
}

export interface ProviderEndpoints {
  authorization: string;
  token: string;
  /** GitHub: its API's base (https://api.github.com): /user and /user/emails. */
  userinfo: string;
}

/** An upstream account linked to a user. */
export interface LinkedIdentity {
  /** A random id safe to show and to put in a URL. */
  id: string;
  userId: number;
  provider: string;
  subject: string;
  email: string | null;
  linkedAt: Date;
}

/** A sign-in under way, kept from the redirect to its callback. */
export interface StoredFlow {
  providerId: string;
  /** The nonce, PKCE verifier and redirect URI, sealed. */
  sealed: string;
  returnTo: string | null;
  /** Set when a signed-in user links another sign-in from /account. */
  linkUserId: number | null;
}

/** An identity waiting for the password of the account that has its email. */
export interface StoredLinkRequest {
  userId: number;
  providerId: string;
  subject: string;
  email: string | null;
  returnTo: string | null;
}

/** Persistence of social login (kysely-store.ts). */
export interface SocialStore {
  listProviders(): Promise<StoredProvider[]>;
  /** False, with nothing written, when the id is taken. */
  insertProvider(provider: StoredProvider): Promise<boolean>;
  /**
   * Deletes the provider with its identities, flows and link requests: an id
   * added again later (perhaps another issuer, whose `sub`s mean other
   * people) signs no one in through identities of the old one.
   */
  deleteProvider(id: string): Promise<boolean>;

  findIdentity(providerId: string, subject: string): Promise<LinkedIdentity | null>;
  identitiesOf(userId: number): Promise<LinkedIdentity[]>;
  /** False, with nothing written, when (provider, subject) is linked already. */
  insertIdentity(identity: LinkedIdentity, tx?: Transaction): Promise<boolean>;
  deleteIdentity(userId: number, id: string, tx?: Transaction): Promise<boolean>;
  /**
   * Takes the user row's lock in `tx`, then says what ways in it has of its
   * own (a password, its identities); null when there is no such user.
   */
  lockWaysIn(
    userId: number,
    tx: Transaction,
  ): Promise<{ hasPassword: boolean; identities: number } | null>;
  /** A user without a password, as a provider introduced them. */
  insertPasswordlessUser(
    email: string,
    verifiedAt: Date | null,
    now: Date,
    tx?: Transaction,
  ): Promise<number>;

  insertFlow(stateHash: string, flow: StoredFlow, expiresAt: Date): Promise<void>;
  /** Deletes the flow and returns it when still live at `now`; of two uses, one gets it. */
  takeFlow(stateHash: string, now: Date): Promise<StoredFlow | null>;
  insertLinkRequest(tokenHash: string, request: StoredLinkRequest, expiresAt: Date): Promise<void>;
  /** The request, when still live, left in place (the password may be wrong). */
  findLinkRequest(tokenHash: string, now: Date): Promise<StoredLinkRequest | null>;
  /** Deletes it; false when another use came first. */
  deleteLinkRequest(tokenHash: string): Promise<boolean>;
  purgeExpired(now: Date): Promise<void>;
}

/** Who the provider says signed in. */
export interface UpstreamIdentity {
  subject: string;
  /** Null when the provider gave none (or, GitHub, no verified primary one). */
  email: string | null;
  /** The provider vouches for the address (email_verified; GitHub: verified and primary). */
  emailVerified: boolean;
}
