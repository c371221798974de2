import * as oauth from "openid-client";
import type { UpstreamIdentity } from "./store.js";
import { checkedIdentity } from "./upstream-identity.js";

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * Who signed in at GitHub, which speaks OAuth 2 without OpenID Connect: its
 * user (`GET /user`, the numeric id as the subject) and its addresses
 * (`GET /user/emails`), of which only the primary one, and only when GitHub
 * has verified it, is taken.
 */
export async function githubIdentity(
  config: oauth.Configuration,
  accessToken: string,
  apiBase: string,
): Promise<UpstreamIdentity> {
  const get = async (path: string): Promise<unknown> => {
    const headers = new Headers({
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
    });
    const url = new URL(path, apiBase.endsWith("/") ? apiBase : `${apiBase}/`);
    const response = await oauth.fetchProtectedResource(
      config,
      accessToken,
      url,
      "GET",
      null,
      headers,
    );
    if (!response.ok) throw new Error(`GitHub answered ${response.status} for ${path}`);
    return response.json();
  };
  const user = (await get("user")) as { id?: unknown };
  if (typeof user.id !== "number" && typeof user.id !== "string")
    throw new Error("no GitHub user id");
  const emails = await get("user/emails");
  const primary = Array.isArray(emails)
    ? (emails as GitHubEmail[]).find((entry) => entry?.primary === true && entry.verified === true)
    : undefined;
  return checkedIdentity(String(user.id), primary?.email, primary !== undefined);
}
