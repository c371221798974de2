import * as oauth from "openid-client";
import type { CheckedFetch } from "../../platform/net/checked-fetch.js";
import { githubIdentity } from "./github.js";
import type { Provider } from "./providers.js";
import type { UpstreamIdentity } from "./store.js";
import { checkedIdentity } from "./upstream-identity.js";

export type { UpstreamIdentity } from "./store.js";

/** What a flow keeps between its redirect and its callback. */
export interface FlowChecks {
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/**
 * The provider's side of a sign-in, all through openid-client (panva):
 * discovery, the authorization URL with state, nonce and PKCE S256, and the
 * callback (RFC 9207 `iss` when sent or announced, state, the code exchange
 * authenticated as the discovery document allows, the ID token's signature
 * by the JWKS (enableNonRepudiationChecks: openid-client skips it for a
 * token from the token endpoint otherwise), iss, aud, nonce and expiry).
 * Nothing here parses a JWT. Every request (discovery, JWKS, token,
 * UserInfo, GitHub's API) goes through `fetch`, whose connections reach
 * only the addresses the outbound policy allows (platform/net).
 */
export class Upstream {
  readonly #development: boolean;
  readonly #fetch: CheckedFetch | undefined;
  readonly #configurations = new Map<string, { key: string; made: Promise<oauth.Configuration> }>();

  constructor(options: { development: boolean; fetch?: CheckedFetch }) {
    this.#development = options.development;
    this.#fetch = options.fetch;
  }

  /** openid-client's options: the checked fetch, and plain http in development only. */
  #options(issuer: string, execute: Array<(config: oauth.Configuration) => void> = []) {
    const insecure = this.#development && issuer.startsWith("http:");
    return {
      execute: insecure ? [...execute, oauth.allowInsecureRequests] : execute,
      ...(this.#fetch ? { [oauth.customFetch]: this.#fetch as oauth.CustomFetch } : {}),
    };
  }

  /** The provider's configuration: discovered once (again when the provider was changed). */
  configuration(provider: Provider): Promise<oauth.Configuration> {
    const key = JSON.stringify([
      provider.issuer,
      provider.endpoints,
      provider.clientId,
      provider.clientSecret,
    ]);
    const known = this.#configurations.get(provider.id);
    if (known?.key === key) return known.made;
    const made = this.#configure(provider);
    made.catch(() => this.#configurations.delete(provider.id));
    this.#configurations.set(provider.id, { key, made });
    return made;
  }

  async #configure(provider: Provider): Promise<oauth.Configuration> {
    const auth = basicFirst(provider.clientSecret);
    if (provider.kind === "github" && provider.endpoints) {
      const config = new oauth.Configuration(
        {
          issuer: provider.issuer,
          authorization_endpoint: provider.endpoints.authorization,
          token_endpoint: provider.endpoints.token,
        },
        provider.clientId,
        undefined,
        auth,
      );
      if (this.#development) oauth.allowInsecureRequests(config);
      if (this.#fetch) config[oauth.customFetch] = this.#fetch as oauth.CustomFetch;
      return config;
    }
    return oauth.discovery(
      new URL(provider.issuer),
      provider.clientId,
      undefined,
      auth,
      this.#options(provider.issuer, [oauth.enableNonRepudiationChecks]),
    );
  }

  /** The discovery document of a provider about to be added, fetched and checked. */
  async discover(provider: { issuer: string; clientId: string }): Promise<void> {
    await oauth.discovery(
      new URL(provider.issuer),
      provider.clientId,
      undefined,
      oauth.None(),
      this.#options(provider.issuer),
    );
  }

  /** Where to send the browser, and what its callback must match. */
  async authorizationUrl(
    provider: Provider,
    redirectUri: string,
  ): Promise<{ url: URL; state: string; checks: FlowChecks }> {
    const config = await this.configuration(provider);
    const state = oauth.randomState();
    const nonce = oauth.randomNonce();
    const verifier = oauth.randomPKCECodeVerifier();
    const oidc = provider.kind === "oidc";
    const scope = [...(oidc ? ["openid", "email"] : []), ...provider.scopes].join(" ");
    const url = oauth.buildAuthorizationUrl(config, {
      response_type: "code",
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      ...(oidc ? { nonce } : {}),
    });
    return { url, state, checks: { nonce, verifier, redirectUri } };
  }

  /**
   * The callback's parameters checked and exchanged for who signed in.
   * @throws whatever openid-client throws for a response that does not hold.
   */
  async identityFrom(
    provider: Provider,
    query: URLSearchParams,
    state: string,
    checks: FlowChecks,
  ): Promise<UpstreamIdentity> {
    const config = await this.configuration(provider);
    const current = new URL(checks.redirectUri);
    for (const [name, value] of query) current.searchParams.append(name, value);
    const oidc = provider.kind === "oidc";
    const tokens = await oauth.authorizationCodeGrant(config, current, {
      expectedState: state,
      pkceCodeVerifier: checks.verifier,
      ...(oidc ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
    });
    if (!oidc) {
      const base = provider.endpoints?.userinfo ?? "https://api.github.com";
      return githubIdentity(config, tokens.access_token, base);
    }
    const claims = tokens.claims();
    if (!claims) throw new Error("no ID token");
    let { email, email_verified: verified } = claims;
    // Some providers put the address in the UserInfo answer only.
    if (typeof email !== "string") {
      const info = await oauth.fetchUserInfo(config, tokens.access_token, claims.sub);
      email = info.email;
      verified = info.email_verified;
    }
    return checkedIdentity(claims.sub, email, verified);
  }
}

/**
 * The token request's client authentication: client_secret_basic (the
 * OAuth default) unless the discovery document lists only client_secret_post.
 */
function basicFirst(secret: string): oauth.ClientAuth {
  return (as, client, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const post =
      Array.isArray(methods) &&
      !methods.includes("client_secret_basic") &&
      methods.includes("client_secret_post");
    const method = post ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
    return method(as, client, body, headers);
  };
}
