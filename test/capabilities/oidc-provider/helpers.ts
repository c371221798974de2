import * as client from "openid-client";
import type { Page } from "playwright-core";
import type { TestServer } from "../../helpers/server.js";

export const REDIRECT = "http://rp.test/callback";
export const PASSWORD = "correct horse battery staple";

export function issuerOf(server: TestServer): URL {
  return new URL(`http://localhost:${server.port}`);
}

/** openid-client's configuration of a registered client, by discovery (http allowed: a test issuer). */
export async function discover(
  server: TestServer,
  clientId: string,
  clientSecret?: string,
): Promise<client.Configuration> {
  return client.discovery(
    issuerOf(server),
    clientId,
    clientSecret,
    clientSecret ? undefined : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

/** The redirect back to the relying party the browser lands on (the RP is faked by a route). */
export async function catchRedirect(page: Page): Promise<() => Promise<URL>> {
  let resolve: (url: URL) => void = () => {};
  const landed = new Promise<URL>((r) => {
    resolve = r;
  });
  await page.route("http://rp.test/**", async (route) => {
    resolve(new URL(route.request().url()));
    await route.fulfill({ status: 200, contentType: "text/html", body: "<p>back at the RP</p>" });
  });
  // Resolved once the page is at the RP: a test's next goto must not race the
  // end of the navigation there.
  const arrived = landed.then(async (url) => {
    await page.waitForURL(/^http:\/\/rp\.test\//);
    return url;
  });
  return () =>
    Promise.race([
      arrived,
      new Promise<URL>((_resolve, reject) =>
        setTimeout(async () => {
          const body = await page.content().catch(() => "");
          reject(new Error(`no redirect to the RP; at ${page.url()}\n${body.slice(0, 1500)}`));
        }, 20_000),
      ),
    ]);
}

/** The service's own login page, filled in and sent. */
export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.waitForURL(/\/account\/login/, { timeout: 15_000 }).catch(async (error) => {
    throw new Error(
      `not at the login page: ${page.url()}\n${(await page.content()).slice(0, 2000)}`,
      { cause: error },
    );
  });
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
}

/** A code flow with PKCE, state and nonce: the authorization URL and what the callback needs. */
export async function codeFlowStart(
  config: client.Configuration,
  extra: Record<string, string> = {},
): Promise<{
  url: URL;
  checks: { pkceCodeVerifier: string; expectedState: string; expectedNonce: string };
}> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid email offline_access",
    prompt: "consent",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return {
    url,
    checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
  };
}

/** For assert.rejects: an OAuth error answer with this `error` code. */
export function oauthError(code: string): (error: unknown) => boolean {
  return (error) => (error as { error?: string }).error === code;
}
