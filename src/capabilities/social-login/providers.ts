import type { SecretBox } from "../../platform/crypto/secret-box.js";
import type { HostResolver } from "../../platform/net/checked-lookup.js";
import type { OutboundTargetPolicy } from "../../platform/net/target-policy.js";
import { isDisplayText, isPlainText } from "../../platform/text/display-text.js";
import { terminalText } from "../../platform/text/terminal-escape.js";
import type { ProviderEndpoints, ProviderKind, SocialStore, StoredProvider } from "./store.js";

/** A provider as shown (list, admin API): never its secret. */
export interface ProviderInfo {
  id: string;
  name: string;
  kind: ProviderKind;
  issuer: string;
  clientId: string;
  scopes: string[];
  createdAt: string;
}

/** A provider ready to use: its secret opened. */
export interface Provider extends Omit<StoredProvider, "clientSecretSealed"> {
  clientSecret: string;
}

export interface NewProvider {
  id: string;
  name: string;
  kind: ProviderKind;
  issuer: string;
  endpoints?: ProviderEndpoints | undefined;
  clientId: string;
  clientSecret: string;
  scopes?: readonly string[];
}

/** A provider id: the slug in /login/{id}. */
export const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** How long a running service keeps the list before reading it again. */
export const PROVIDER_CACHE_MS = 5000;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;

/**
 * The registered providers: added and removed by the CLI or the admin API,
 * read by every sign-in from a copy kept PROVIDER_CACHE_MS, so a running
 * service (or another instance) sees a change within seconds. Client
 * secrets are sealed under SECRET_KEY, bound to their provider's id.
 */
export class ProviderRegistry {
  readonly #store: SocialStore;
  readonly #secretBox: () => SecretBox;
  readonly #now: () => Date;
  readonly #development: boolean;
  readonly #policy: OutboundTargetPolicy | undefined;
  readonly #resolve: HostResolver | undefined;
  #cached: { at: number; providers: Promise<StoredProvider[]> } | undefined;

  constructor(options: {
    store: SocialStore;
    secretBox: () => SecretBox;
    now: () => Date;
    development: boolean;
    /** Where a provider's endpoints may be (SOCIAL_ALLOWED_HOSTS); none: anywhere. */
    policy?: OutboundTargetPolicy;
    resolve?: HostResolver;
  }) {
    this.#policy = options.policy;
    this.#resolve = options.resolve;
    this.#store = options.store;
    this.#secretBox = options.secretBox;
    this.#now = options.now;
    this.#development = options.development;
  }

  /**
   * @throws RangeError for a bad id, name, URL or scope (an `http:` issuer
   *   outside development included, and one at an internal address the
   *   policy refuses). False when the id is taken.
   */
  async add(provider: NewProvider): Promise<boolean> {
    if (!PROVIDER_ID.test(provider.id))
      throw new RangeError("the id must be 1-32 lower-case letters, digits and dashes");
    if (provider.name.trim() === "" || provider.name.length > 64)
      throw new RangeError("the name must be 1-64 characters");
    // Shown on the login buttons: nothing that hides or reorders what it says.
    if (!isDisplayText(provider.name))
      throw new RangeError("the name may not hold control, bidi or other invisible characters");
    if (provider.clientId === "" || provider.clientId.length > 512)
      throw new RangeError("the client id must be 1-512 characters");
    if (provider.clientSecret === "" || provider.clientSecret.length > 1024)
      throw new RangeError("the client secret must be 1-1024 characters");
    if (!isPlainText(provider.clientId) || !isPlainText(provider.clientSecret))
      throw new RangeError("the client id and secret may not hold control characters");
    const scopes = [...new Set(provider.scopes ?? [])].filter(
      (scope) => scope !== "openid" && scope !== "email",
    );
    if (scopes.some((scope) => !SCOPE.test(scope))) throw new RangeError("not a valid scope");
    for (const url of [provider.issuer, ...Object.values(provider.endpoints ?? {})])
      await this.assertAllowed(url);
    const added = await this.#store.insertProvider({
      id: provider.id,
      name: provider.name.trim(),
      kind: provider.kind,
      issuer: provider.issuer,
      endpoints: provider.endpoints ?? null,
      clientId: provider.clientId,
      clientSecretSealed: this.#secretBox().seal(provider.clientSecret, sealContext(provider.id)),
      scopes,
      createdAt: this.#now(),
    });
    this.#cached = undefined;
    return added;
  }

  /**
   * An https URL (http in development only) whose host is not an internal
   * address the policy refuses (loopback, private, link-local ...: the
   * service would send its client secret there). @throws RangeError
   */
  assertUrl(text: string): void {
    if (!URL.canParse(text) || !isPlainText(text))
      throw new RangeError(`not a URL: ${terminalText(text)}`);
    const url = new URL(text);
    const { protocol } = url;
    if (protocol !== "https:" && !(protocol === "http:" && this.#development))
      throw new RangeError(`${text}: only https (plain http in development only)`);
    const kind = this.#policy?.refusalOfUrlHost(url);
    if (kind) throw new RangeError(refusal(url.hostname, kind, this.#policy?.setting));
  }

  /**
   * assertUrl, and every address the host's name has now is allowed too.
   * A name that does not resolve passes here: each request checks again.
   * @throws RangeError
   */
  async assertAllowed(text: string): Promise<void> {
    this.assertUrl(text);
    const url = new URL(text);
    const policy = this.#policy;
    if (!policy || !this.#resolve || !policy.isResolvedName(url)) return;
    const addresses = await this.#resolve(url.hostname).catch(() => []);
    for (const { address } of addresses) {
      const kind = policy.refusalOf(url.hostname, address);
      if (kind) throw new RangeError(refusal(`${url.hostname} (${address})`, kind, policy.setting));
    }
  }

  /** Development: plain http, and a failing discovery's reason shown to the operator. */
  get development(): boolean {
    return this.#development;
  }

  /** Deletes the provider, its linked identities, its flows under way and link requests. */
  async remove(id: string): Promise<boolean> {
    const removed = await this.#store.deleteProvider(id);
    this.#cached = undefined;
    return removed;
  }

  async list(): Promise<ProviderInfo[]> {
    return (await this.#current()).map((provider) => ({
      id: provider.id,
      name: provider.name,
      kind: provider.kind,
      issuer: provider.issuer,
      clientId: provider.clientId,
      scopes: provider.scopes,
      createdAt: provider.createdAt.toISOString(),
    }));
  }

  /** The provider with its secret opened, or null when none has this id. */
  async get(id: string): Promise<Provider | null> {
    let stored = (await this.#current()).find((provider) => provider.id === id);
    // One added moments ago (another process): read again rather than wait for the copy to age.
    if (!stored && PROVIDER_ID.test(id)) {
      this.#cached = undefined;
      stored = (await this.#current()).find((provider) => provider.id === id);
    }
    if (!stored) return null;
    const { clientSecretSealed, ...rest } = stored;
    const clientSecret = this.#secretBox().open(clientSecretSealed, sealContext(id)).toString();
    return { ...rest, clientSecret };
  }

  #current(): Promise<StoredProvider[]> {
    const now = Date.now();
    if (!this.#cached || now - this.#cached.at > PROVIDER_CACHE_MS) {
      const providers = this.#store.listProviders();
      this.#cached = { at: now, providers };
      providers.catch(() => {
        this.#cached = undefined;
      });
    }
    return this.#cached.providers;
  }
}

function refusal(host: string, kind: string, setting = "the allow-list"): string {
  return `${host} is a ${kind} address: providers may not be at internal addresses unless ${setting} lists them`;
}

function sealContext(id: string): string {
  return `social-login client secret ${id}`;
}
