import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export interface GitHubDouble {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorization signs in: GitHub's numeric id and its address list. */
  signInAs(user: { id: number; login: string; emails: GitHubEmail[] }): void;
  close(): Promise<void>;
}

/**
 * A stand-in for GitHub's documented OAuth app endpoints (docs.github.com,
 * "Authorizing OAuth apps"): /login/oauth/authorize answers at once with a
 * code for the user set by signInAs, /login/oauth/access_token takes the
 * client's credentials, the code and its PKCE verifier, /user and
 * /user/emails answer the bearer token's user. Only as strict as a test of
 * the service needs: each code and token works for one user, once.
 */
export async function startGitHubDouble(): Promise<GitHubDouble> {
  const clientId = "Iv1.test-client";
  const clientSecret = "github-double-secret";
  let next: { id: number; login: string; emails: GitHubEmail[] } | undefined;
  const codes = new Map<
    string,
    { user: NonNullable<typeof next>; challenge: string; redirectUri: string }
  >();
  const tokens = new Map<string, NonNullable<typeof next>>();
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://double");
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      if (url.searchParams.get("client_id") !== clientId || !next) return json(res, 400, {});
      const code = randomBytes(10).toString("hex");
      codes.set(code, {
        user: next,
        challenge: url.searchParams.get("code_challenge") ?? "",
        redirectUri,
      });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const basic = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64")
        .toString()
        .split(":")
        .map(decodeURIComponent);
      const [id, secret] =
        basic.length === 2 ? basic : [form.get("client_id"), form.get("client_secret")];
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (
        id !== clientId ||
        secret !== clientSecret ||
        !grant ||
        grant.challenge !== challenge ||
        grant.redirectUri !== form.get("redirect_uri")
      )
        return json(res, 200, { error: "bad_verification_code" });
      const token = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(token, grant.user);
      return json(res, 200, {
        access_token: token,
        token_type: "bearer",
        scope: "read:user,user:email",
      });
    }
    const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!user) return json(res, 401, { message: "Bad credentials" });
    if (url.pathname === "/user") return json(res, 200, { id: user.id, login: user.login });
    if (url.pathname === "/user/emails") return json(res, 200, user.emails);
    return json(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    signInAs(user) {
      next = user;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
