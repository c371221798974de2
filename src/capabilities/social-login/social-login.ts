import { randomBytes } from "node:crypto";
import type { LoginResult } from "../../core/accounts.js";
import type { AuthCore } from "../../core/auth-core.js";
import { NoResultFound, UserAlreadyExistsError } from "../../core/errors.js";
import type { SocialLoginOutcome } from "../../core/events.js";
import type { SignedIn } from "../../core/reauthentication.js";
import type { SessionClient } from "../../core/session.js";
import { isUniqueViolation } from "../../core/store/row-mapping.js";
import { generateToken, hashToken, isPlausibleToken } from "../../core/token.js";
import type { SecretBox } from "../../platform/crypto/secret-box.js";
import { RefusedTargetError } from "../../platform/net/checked-lookup.js";
import { type Admission, type IdentityInfo, toInfo, type VerifiedCallback } from "./admission.js";
import { IdentityChanges, type IdentityProof } from "./identity-changes.js";
import type { NewProvider, ProviderRegistry } from "./providers.js";
import type { LinkedIdentity, SocialStore } from "./store.js";
import type { FlowChecks, Upstream, UpstreamIdentity } from "./upstream.js";

/** How long a sign-in may stay at the provider, and an identity wait for its account's password. */
export const FLOW_LIFETIME_MS = 10 * 60_000;

/**
 * Sign in with another identity provider (CONTRACT.md Part 3 G). An identity
 * linked to an account signs it in through SignIn.withLinkedIdentity (its
 * throttling, address rule, second factor and audit); a new email makes an
 * account without a password; an email an account has is never linked
 * silently: the account's own password (and second step) comes first.
 */
export class SocialLogin {
  readonly providers: ProviderRegistry;
  readonly #core: AuthCore;
  readonly #store: SocialStore;
  readonly #upstream: Upstream;
  readonly #secretBox: () => SecretBox;
  readonly #changes: IdentityChanges;

  constructor(
    core: AuthCore,
    dependencies: {
      store: SocialStore;
      providers: ProviderRegistry;
      upstream: Upstream;
      secretBox: () => SecretBox;
      passkeyCount?: (userId: number) => Promise<number>;
    },
  ) {
    this.#core = core;
    this.#store = dependencies.store;
    this.providers = dependencies.providers;
    this.#upstream = dependencies.upstream;
    this.#secretBox = dependencies.secretBox;
    this.#changes = new IdentityChanges(
      core,
      dependencies.store,
      dependencies.passkeyCount ?? (async () => 0),
    );
  }

  /**
   * A sign-in at the provider begins: its URL, and the state the browser
   * keeps (HttpOnly cookie) to prove the callback is its own. Null for an
   * unknown provider. `linkUserId`: a signed-in user linking one more.
   */
  async start(
    providerId: string,
    options: { redirectUri: string; returnTo?: string | undefined; linkUserId?: number },
  ): Promise<{ url: URL; state: string } | null> {
    const provider = await this.providers.get(providerId);
    if (!provider) return null;
    const { url, state, checks } = await this.#upstream.authorizationUrl(
      provider,
      options.redirectUri,
    );
    const now = this.#core.flows.now();
    await this.#store.insertFlow(
      hashToken(state),
      {
        providerId,
        sealed: this.#secretBox().seal(JSON.stringify(checks), FLOW_CONTEXT),
        returnTo: options.returnTo ?? null,
        linkUserId: options.linkUserId ?? null,
      },
      new Date(now.getTime() + FLOW_LIFETIME_MS),
    );
    return { url, state };
  }

  /**
   * The callback checked: its state is the browser's own (`browserState`,
   * from the flow's cookie) and a live flow's, taken once; the provider's
   * answer holds (upstream.ts). Null for a forged, replayed, expired or
   * failing one (the audit trail says invalid_callback).
   */
  async verifyCallback(
    providerId: string,
    query: URLSearchParams,
    browserState: string | undefined,
    client: SessionClient,
  ): Promise<VerifiedCallback | null> {
    const state = query.get("state") ?? "";
    const refuse = async () => {
      // An id from the URL names a metric's label only when it is registered: no label per guess.
      const known = (await this.providers.list()).some((each) => each.id === providerId);
      this.#emit(known ? providerId : "unknown", "invalid_callback", client);
      return null;
    };
    if (!browserState || state !== browserState || !isPlausibleState(state)) return refuse();
    const flow = await this.#store.takeFlow(hashToken(state), this.#core.flows.now());
    if (!flow || flow.providerId !== providerId) return refuse();
    try {
      // Inside: a secret that no longer opens (SECRET_KEY changed) is a refusal too.
      const provider = await this.providers.get(providerId);
      if (!provider) return refuse();
      const checks = JSON.parse(
        this.#secretBox().open(flow.sealed, FLOW_CONTEXT).toString(),
      ) as FlowChecks;
      const identity = await this.#upstream.identityFrom(provider, query, state, checks);
      return {
        provider: { id: provider.id, name: provider.name },
        identity,
        returnTo: flow.returnTo ?? undefined,
        linkUserId: flow.linkUserId,
      };
    } catch {
      return refuse();
    }
  }

  /**
   * A verified identity comes in: a linked one signs its account in; one
   * asked for from /account is linked to its user; a new email makes an
   * account; an email an account has waits for that account's password.
   * @throws what SignIn throws (throttled, second factor, unverified address).
   */
  async admit(
    verified: VerifiedCallback,
    client: SessionClient,
    again = false,
  ): Promise<Admission> {
    const { provider, identity } = verified;
    const existing = await this.#store.findIdentity(provider.id, identity.subject);
    if (verified.linkUserId !== null) {
      if (existing && existing.userId !== verified.linkUserId) {
        this.#emit(provider.id, "identity_taken", client, existing.userId);
        return { kind: "refused", reason: "identity_taken" };
      }
      if (!existing) await this.#link(verified.linkUserId, provider.id, identity, client);
      return { kind: "linked" };
    }
    if (existing) {
      const owner = await this.#core.flows.store.findUser({ id: existing.userId });
      this.#emit(provider.id, "signed_in", client, existing.userId, owner?.email);
      const result = await this.#core.signIn.withLinkedIdentity(existing.userId, client);
      if (result) return { kind: "session", result };
    }
    // An address the provider does not vouch for opens nothing and links nothing: else an
    // account made from someone else's address would keep its way in after they take it over.
    if (!identity.email || !identity.emailVerified) {
      this.#emit(provider.id, "no_verified_email", client);
      return { kind: "refused", reason: "no_verified_email" };
    }
    const account = await this.#core.flows.store.findUser({ email: identity.email });
    if (account) {
      const token = generateToken();
      const now = this.#core.flows.now();
      await this.#store.insertLinkRequest(
        hashToken(token),
        {
          userId: account.id,
          providerId: provider.id,
          subject: identity.subject,
          email: identity.email,
          returnTo: verified.returnTo ?? null,
        },
        new Date(now.getTime() + FLOW_LIFETIME_MS),
      );
      this.#emit(provider.id, "link_required", client, account.id, account.email);
      return { kind: "link_required", token, email: account.email };
    }
    let userId: number;
    try {
      userId = await this.#createAccount(provider.id, identity, client);
    } catch (error) {
      // A callback at the same moment made the account or linked the identity: once more, as it is now.
      if (again || !(error instanceof UserAlreadyExistsError || isUniqueViolation(error)))
        throw error;
      return this.admit(verified, client, true);
    }
    this.#emit(provider.id, "account_created", client, userId, identity.email);
    const result = await this.#core.signIn.withLinkedIdentity(userId, client);
    if (!result) throw new NoResultFound();
    return { kind: "session", result };
  }

  /**
   * An operator registers a provider (admin API, CLI): audited as them.
   * @throws RangeError as ProviderRegistry.add. False when the id is taken.
   */
  async addProvider(provider: NewProvider, operator: SessionClient): Promise<boolean> {
    const added = await this.providers.add(provider);
    if (added) this.#operatorEvent("added", provider.id, operator);
    return added;
  }

  /** An operator removes a provider, and with it its identities: audited as them. */
  async removeProvider(id: string, operator: SessionClient): Promise<boolean> {
    const removed = await this.providers.remove(id);
    if (removed) this.#operatorEvent("removed", id, operator);
    return removed;
  }

  #operatorEvent(action: "added" | "removed", provider: string, client: SessionClient): void {
    this.#core.flows.emit({ type: "provider", action, provider, client });
  }

  /** The address of the account a callback is about (its linked identity's, else the one given). */
  async accountEmailOf(verified: VerifiedCallback): Promise<string> {
    const { provider, identity } = verified;
    const existing = await this.#store.findIdentity(provider.id, identity.subject);
    const owner = existing ? await this.#core.flows.store.findUser({ id: existing.userId }) : null;
    return owner?.email ?? identity.email ?? "";
  }

  /** The link request a token names, while it lives: for its page. */
  async linkRequest(
    token: string,
  ): Promise<{ email: string; provider: string; returnTo?: string } | null> {
    const request = isPlausibleToken(token)
      ? await this.#store.findLinkRequest(hashToken(token), this.#core.flows.now())
      : null;
    const account = request ? await this.#core.flows.store.findUser({ id: request.userId }) : null;
    if (!request || !account) return null;
    return {
      email: account.email,
      provider: request.providerId,
      returnTo: request.returnTo ?? undefined,
    };
  }

  /**
   * The account's own sign-in came through (its password, and its second
   * step when it has one): the identity waiting in `token` is linked to it.
   * False when the request is gone or was for another account.
   */
  async completeLink(
    token: string,
    signedIn: LoginResult,
    client: SessionClient,
  ): Promise<boolean> {
    if (!isPlausibleToken(token)) return false;
    const tokenHash = hashToken(token);
    const request = await this.#store.findLinkRequest(tokenHash, this.#core.flows.now());
    if (!request || request.userId !== signedIn.user.id) return false;
    if (!(await this.#store.deleteLinkRequest(tokenHash))) return false;
    const identity = { subject: request.subject, email: request.email, emailVerified: false };
    return this.#link(request.userId, request.providerId, identity, client);
  }

  /** Whether the account has a password (Unlink asks it, else a code). */
  async hasPassword(userId: number): Promise<boolean> {
    const record = await this.#core.flows.store.findUser({ id: userId });
    return record !== null && record.hashedPassword !== null;
  }

  async identities(userId: number): Promise<IdentityInfo[]> {
    return (await this.#store.identitiesOf(userId)).map(toInfo);
  }

  /** Linking, unlinking: behind the owner's proof (identity-changes.ts). */
  get changes(): IdentityChanges {
    return this.#changes;
  }

  unlink(
    current: SignedIn,
    id: string,
    proof: IdentityProof,
    client: SessionClient,
  ): ReturnType<IdentityChanges["unlink"]> {
    return this.#changes.unlink(current, id, proof, client);
  }

  /**
   * Fetches a provider's discovery document before it is added.
   * @throws RangeError when the policy refuses where it is (an internal
   *   address); else whatever says it does not hold.
   */
  async checkDiscovery(provider: NewProvider): Promise<void> {
    try {
      await this.#upstream.discover(provider);
    } catch (error) {
      const refused = refusalIn(error);
      throw refused ? new RangeError(refused.message) : error;
    }
  }

  async purgeExpired(): Promise<void> {
    await this.#store.purgeExpired(this.#core.flows.now());
  }

  async #link(
    userId: number,
    providerId: string,
    identity: UpstreamIdentity,
    client: SessionClient,
  ): Promise<boolean> {
    const account = await this.#core.flows.store.findUser({ id: userId });
    if (!account) return false;
    return this.#core.flows.changes.run(async (change) => {
      const linked = await this.#store.insertIdentity(
        this.#newIdentity(userId, providerId, identity),
        change.tx,
      );
      // Like every other new way in, the owner hears of it (production mails; development does not).
      if (linked) await change.mail("identity_linked", account.email);
      if (linked)
        await change.report({
          type: "identity",
          action: "linked",
          provider: providerId,
          userId,
          email: account.email,
          client,
        });
      return linked;
    });
  }

  async #createAccount(
    providerId: string,
    identity: UpstreamIdentity,
    client: SessionClient,
  ): Promise<number> {
    const email = identity.email ?? "";
    const now = this.#core.flows.now();
    return this.#core.flows.changes.run(async (change) => {
      const userId = await this.#store.insertPasswordlessUser(
        email,
        identity.emailVerified ? now : null,
        now,
        change.tx,
      );
      if (
        !(await this.#store.insertIdentity(
          this.#newIdentity(userId, providerId, identity),
          change.tx,
        ))
      )
        throw new UserAlreadyExistsError(email);
      await change.report({ type: "registration", outcome: "success", userId, email, client });
      await change.report({
        type: "identity",
        action: "linked",
        provider: providerId,
        userId,
        email,
        client,
      });
      return userId;
    });
  }

  #newIdentity(userId: number, provider: string, identity: UpstreamIdentity): LinkedIdentity {
    return {
      id: randomBytes(12).toString("base64url"),
      userId,
      provider,
      subject: identity.subject,
      email: identity.email,
      linkedAt: this.#core.flows.now(),
    };
  }

  #emit(
    provider: string,
    outcome: SocialLoginOutcome,
    client: SessionClient,
    userId?: number,
    email?: string,
  ): void {
    this.#core.flows.emit({ type: "social_login", provider, outcome, userId, email, client });
  }
}

const FLOW_CONTEXT = "social-login flow";

/** openid-client's randomState(): 43 base64url characters. */
function isPlausibleState(state: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(state);
}

/** The policy's refusal somewhere in an error's causes (openid-client wraps what fetch throws). */
function refusalIn(error: unknown): RefusedTargetError | null {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; depth++) {
    if (at instanceof RefusedTargetError) return at;
    at = at.cause;
  }
  return null;
}
