import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** Who the upstream provider signs in next, by subject. */
export interface UpstreamAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
}

export interface Upstream {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next interaction signs in (as if its owner typed its password there). */
  signInAs(account: UpstreamAccount): void;
  /** How many token requests authenticated with client_secret_basic / client_secret_post. */
  tokenAuth: { basic: number; post: number };
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider 9) on a loopback port, with one
 * confidential client registered for `redirectUris`. Its login step is
 * the test's: each interaction signs in the account set by signInAs and
 * grants what the client asked, as a person would on its pages.
 */
export async function startUpstream(
  redirectUris: string[],
  options: {
    host?: string;
    authMethods?: string[];
    /** Publish another key under the signing key's kid: ID tokens then fail their signature check. */
    foreignJwks?: boolean;
  } = {},
): Promise<Upstream> {
  const host = options.host ?? "127.0.0.1";
  const accounts = new Map<string, UpstreamAccount>();
  let next: UpstreamAccount | undefined;
  const tokenAuth = { basic: 0, post: 0 };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host}:${port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: "jwk" }),
    kid: "upstream-test",
    use: "sig",
    alg: "RS256",
  };
  const clientId = "auth-service-test";
  const clientSecret = "upstream-client-secret-of-the-test";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ["upstream test cookie key"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    features: { devInteractions: { enabled: false } },
    // The address in the ID token too, as many providers put it.
    conformIdTokenClaims: false,
    ...(options.authMethods ? { clientAuthMethods: options.authMethods as never } : {}),
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
  });
  const callback = provider.callback();
  const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
    format: "jwk",
  });
  server.on("request", async (req, res) => {
    try {
      if (options.foreignJwks && req.method === "GET" && req.url === "/jwks") {
        res.setHeader("content-type", "application/jwk-set+json");
        return res.end(
          JSON.stringify({
            keys: [{ ...foreign, kid: "upstream-test", use: "sig", alg: "RS256" }],
          }),
        );
      }
      if (req.method === "POST" && req.url === "/token") {
        if (req.headers.authorization?.startsWith("Basic ")) tokenAuth.basic += 1;
        else tokenAuth.post += 1;
      }
      if (!req.url?.startsWith("/interaction/")) return callback(req, res);
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === "login") {
        if (!next) throw new Error("the test set no upstream account");
        accounts.set(next.sub, next);
        return await provider.interactionFinished(
          req,
          res,
          { login: { accountId: next.sub } },
          {
            mergeWithLastSubmission: false,
          },
        );
      }
      const grant = new provider.Grant({
        accountId: String(details.session?.accountId),
        clientId: String(details.params.client_id),
      });
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
      };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(account) {
      next = account;
      accounts.set(account.sub, account);
    },
    tokenAuth,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
