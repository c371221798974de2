import * as client from "openid-client";
import type { Page } from "playwright-core";
import type { TestServer } from "../../helpers/server.js";

export const REDIRECT = "http://rp.test/callback";
export const PASSWORD = "correct horse battery staple";

export function issuerOf(server: TestServer): URL {
  return new URL(`http://localhost:${server.port}`);
}

/**
 * openid-client's configuration of a registered client, by discovery (http
 * allowed: a test issuer); `metadata` is what the relying party expects of its
 * registration beyond the secret (e.g. its ID token algorithm), which
 * openid-client then holds the provider's answers to.
 */
export async function discover(
  server: TestServer,
  clientId: string,
  clientSecret?: string,
  metadata: Partial<client.ClientMetadata> = {},
): Promise<client.Configuration> {
  return client.discovery(
    issuerOf(server),
    clientId,
    clientSecret ? { ...metadata, client_secret: clientSecret } : metadata,
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

/** Cookies by name, as a browser would send them here (paths ignored: one origin, one flow). */
export type CookieJar = Map<string, string>;

/** The cookies an answer sets (or clears), kept in the jar as a browser would. */
export function keepCookies(jar: CookieJar, answer: Response): void {
  for (const line of answer.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const name = pair.slice(0, pair.indexOf("="));
    const value = pair.slice(pair.indexOf("=") + 1);
    if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

/**
 * An authorization request followed without a browser: each redirect with the
 * jar's cookies (the service's session_id among them), until the browser
 * would be at the relying party (its callback URL, returned) or sent to the
 * service's login page (that URL, returned).
 */
export async function followAuthorization(start: URL, jar: CookieJar): Promise<URL> {
  let url = start;
  for (let step = 0; step < 12; step++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const answer = await fetch(url, { redirect: "manual", headers: { cookie } });
    keepCookies(jar, answer);
    const location = answer.headers.get("location");
    if (!location)
      throw new Error(
        `no redirect from ${url}: ${answer.status} ${(await answer.text()).slice(0, 500)}`,
      );
    await answer.body?.cancel();
    url = new URL(location, url);
    if (url.origin === "http://rp.test" || url.pathname === "/account/login") return url;
  }
  throw new Error(`still redirecting at ${url}`);
}

/** Logs in on the service (POST /sessions) and keeps its session cookie in the jar. */
export async function serviceLogin(
  base: string,
  jar: CookieJar,
  email: string,
  password: string,
): Promise<void> {
  const answer = await fetch(`${base}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (answer.status !== 200) throw new Error(`login answered ${answer.status}`);
  keepCookies(jar, answer);
}

/**
 * As followAuthorization, and when the consent page comes (a third-party
 * client), Allow is sent for the user: the flow goes on to the relying party.
 */
export async function followWithConsent(start: URL, jar: CookieJar): Promise<URL> {
  let url = start;
  for (let step = 0; step < 16; step++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const answer = await fetch(url, { redirect: "manual", headers: { cookie } });
    keepCookies(jar, answer);
    const location = answer.headers.get("location");
    if (location) {
      await answer.body?.cancel();
      url = new URL(location, url);
    } else if (answer.status === 200 && url.pathname.startsWith("/oidc/auth/")) {
      // oidc-provider's self-submitting form (ending an older session of
      // another account before it resumes): sent as the browser would.
      const text = await answer.text();
      const action = /<form method="post" action="([^"]+)"/.exec(text)?.[1];
      if (!action) throw new Error(`no form at ${url}: ${text.slice(0, 500)}`);
      const fields = new URLSearchParams();
      for (const [, name = "", value = ""] of text.matchAll(
        /<input type="hidden" name="([^"]+)" value="([^"]*)"/g,
      ))
        fields.set(name, value);
      const posted = await fetch(new URL(action, url), {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: fields,
      });
      keepCookies(jar, posted);
      await posted.body?.cancel();
      url = new URL(posted.headers.get("location") ?? "", url);
    } else if (answer.status === 200 && url.pathname.startsWith("/oidc/interaction/")) {
      await answer.body?.cancel();
      const confirmed = await fetch(new URL(`${url.pathname}/confirm`, url), {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: "",
      });
      keepCookies(jar, confirmed);
      const onward = /url=([^"]+)"/.exec(await confirmed.text())?.[1];
      if (!onward) throw new Error(`consent answered ${confirmed.status} without a way on`);
      url = new URL(onward.replaceAll("&amp;", "&"), url);
    } else {
      throw new Error(
        `no redirect from ${url}: ${answer.status} ${(await answer.text()).slice(0, 500)}`,
      );
    }
    if (url.origin === "http://rp.test" || url.pathname === "/account/login") return url;
  }
  throw new Error(`still redirecting at ${url}`);
}
