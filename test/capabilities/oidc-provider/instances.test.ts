import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import type { Browser } from "playwright-core";
import { browserSkipReason, launchChromium } from "../../helpers/browser.js";
import { runCli } from "../../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { catchRedirect, codeFlowStart, discover, logIn } from "./helpers.js";

const T = { timeout: 120_000 };
const SECRET_KEY = "c".repeat(64);
const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

/** Checks the ID token's signature against the issuer's JWKS (node:crypto, no library's word for it). */
async function verifyIdToken(jwksUri: string, idToken: string): Promise<string> {
  const [header = "", payload = "", signature = ""] = idToken.split(".");
  const { kid, alg } = JSON.parse(Buffer.from(header, "base64url").toString()) as {
    kid: string;
    alg: string;
  };
  assert.equal(alg, "RS256");
  const { keys } = (await (await fetch(jwksUri)).json()) as { keys: { kid: string }[] };
  const jwk = keys.find((key) => key.kid === kid);
  assert.ok(jwk, "the token's key is in the JWKS");
  assert.ok(!("d" in jwk), "the JWKS has no private part");
  const ok = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk as never, format: "jwk" }),
    Buffer.from(signature, "base64url"),
  );
  assert.ok(ok, "the signature verifies");
  return kid;
}

describe("the OpenID provider over PostgreSQL: two instances, key rotation, the client command", {
  skip: browserSkipReason() || (postgres && "skip" in postgres ? postgres.skip : false),
}, () => {
  let database: TestDatabase;
  let browser: Browser;
  const servers: TestServer[] = [];
  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    browser = await launchChromium();
  });
  after(async () => {
    for (const server of servers) await server.close();
    await browser?.close();
    await database?.drop();
  });

  let env: Record<string, string> = {};
  let clientId = "";
  let firstKid = "";
  let issuer = "";

  test(
    "a client made by the CLI signs in on one instance and refreshes on another",
    T,
    async () => {
      env = { DATABASE_URL: database.url, SECRET_KEY };
      const made = runCli(
        [
          "client",
          "create",
          "--name",
          "Two",
          "--redirect-uri",
          "http://rp.test/callback",
          "--first-party",
        ],
        env,
      );
      assert.equal(made.code, 0, made.stderr);
      clientId = /^client_id: (\S+)$/m.exec(made.stdout)?.[1] ?? "";
      const clientSecret = /^client_secret: (\S+)$/m.exec(made.stdout)?.[1] ?? "";
      assert.ok(clientId && clientSecret);
      assert.match(runCli(["client", "list"], env).stdout, new RegExp(clientId));
      const a = await startTestServer(env);
      servers.push(a);
      // One issuer for both: B is told A's, and the RP's requests are sent to B.
      const b = await startTestServer({ ...env, OIDC_ISSUER: `http://localhost:${a.port}` });
      servers.push(b);
      const { email, password } = await signedInUser(a.url);
      const config = await discover(a, clientId, clientSecret);
      const { url, checks } = await codeFlowStart(config);
      const page = await (await browser.newContext()).newPage();
      const landed = await catchRedirect(page);
      await page.goto(url.href);
      await logIn(page, email, password);
      const back = await landed();
      const onB = await discover(a, clientId, clientSecret);
      onB[client.customFetch] = (input, init) =>
        fetch(String(input).replace(`:${a.port}/`, `:${b.port}/`), init);
      const tokens = await client.authorizationCodeGrant(onB, back, checks);
      firstKid = await verifyIdToken(config.serverMetadata().jwks_uri ?? "", tokens.id_token ?? "");
      const refreshed = await client.refreshTokenGrant(onB, tokens.refresh_token ?? "");
      assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, true);
      issuer = `http://localhost:${a.port}`;
    },
  );

  test("keys rotate: the old key stays in the JWKS; client delete", T, async () => {
    // Rotation: new keys sign from the next start; the old one stays published.
    const rotated = runCli(["keys", "rotate"], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const c = await startTestServer({ ...env, OIDC_ISSUER: issuer });
    servers.push(c);
    const jwks = (await (await fetch(`${c.url}/oidc/jwks`)).json()) as {
      keys: { kid: string }[];
    };
    assert.equal(jwks.keys.length, 4);
    assert.ok(jwks.keys.some((key) => key.kid === firstKid));
    const deleted = runCli(["client", "delete", clientId], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(runCli(["client", "delete", clientId], env).code, 1);
  });
});
