import type { ProviderEndpoints, ProviderKind } from "./store.js";

/** What a preset fills in: the issuer (discovery) or, for GitHub, its OAuth 2 endpoints. */
export interface Preset {
  name: string;
  kind: ProviderKind;
  issuer: string;
  endpoints?: ProviderEndpoints;
  /** Scopes it needs besides `openid email` (GitHub: its email list). */
  scopes: string[];
}

/**
 * The providers people use most. Microsoft's issuer names a tenant:
 * `common` (any work, school or personal account) unless `--tenant` says
 * which; openid-client checks each ID token against the tenant it names
 * (its Entra ID support). GitHub speaks OAuth 2 without OpenID Connect: its
 * documented endpoints, and only its verified primary email is trusted.
 */
/** A Microsoft tenant: common, organizations, consumers, a GUID or a domain name. */
export const TENANT = /^(?!.*\.\.)[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;

export function presetOf(name: string, tenant = "common"): Preset | undefined {
  // A tenant is one path segment of the issuer: a name or GUID, never "..", "/" or "%2e".
  if (!TENANT.test(tenant)) return undefined;
  switch (name) {
    case "google":
      return { name: "Google", kind: "oidc", issuer: "https://accounts.google.com", scopes: [] };
    case "microsoft":
      return {
        name: "Microsoft",
        kind: "oidc",
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        scopes: [],
      };
    case "gitlab":
      return { name: "GitLab", kind: "oidc", issuer: "https://gitlab.com", scopes: [] };
    case "github":
      return {
        name: "GitHub",
        kind: "github",
        issuer: "https://github.com",
        endpoints: GITHUB_ENDPOINTS,
        scopes: ["read:user", "user:email"],
      };
    default:
      return undefined;
  }
}

export const PRESET_NAMES = ["google", "microsoft", "github", "gitlab"] as const;

/** docs.github.com: "Authorizing OAuth apps" and the REST API's users and emails. */
export const GITHUB_ENDPOINTS: ProviderEndpoints = {
  authorization: "https://github.com/login/oauth/authorize",
  token: "https://github.com/login/oauth/access_token",
  userinfo: "https://api.github.com",
};
