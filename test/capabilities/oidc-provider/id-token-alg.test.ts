import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import type { OidcDb } from "../../../src/capabilities/oidc-provider/index.js";
import { connect } from "../../../src/platform/db/connect.js";
import { runCli } from "../../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 120_000 };

/** The `alg` and `kid` of a JWT's header. */
function headerOf(jwt: string | undefined): { alg: string; kid: string } {
  const [header = ""] = (jwt ?? "").split(".");
  return JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
}

for (const factory of await testDatabases()) {
  describe(`a client's ID token algorithm (RS256 or ES256) on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let env: Record<string, string> = {};
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      env = { DATABASE_URL: database.url };
      server = await startTestServer(env);
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    /** A code flow of a signed-in user without a browser (a first-party client: no consent page). */
    const codeFlowTokens = async (config: client.Configuration) => {
      const { email, password } = await signedInUser(server.url);
      const jar: CookieJar = new Map();
      await serviceLogin(`http://localhost:${server.port}`, jar, email, password);
      const flow = await codeFlowStart(config);
      const landed = await followAuthorization(flow.url, jar);
      assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
      return client.authorizationCodeGrant(config, landed, {
        ...flow.checks,
        idTokenExpected: true,
      });
    };
    /** The published key the JWT's header names. */
    const jwksKeyOf = async (config: client.Configuration, jwt: string | undefined) => {
      const { keys } = (await (await fetch(config.serverMetadata().jwks_uri ?? "")).json()) as {
        keys: { kid: string; alg: string; kty: string }[];
      };
      const key = keys.find((candidate) => candidate.kid === headerOf(jwt).kid);
      assert.ok(key, "the token's kid is in the JWKS");
      return key;
    };

    test(
      "client create --id-token-alg ES256: ID tokens from the code and from a refresh are ES256, by the JWKS's ES256 key",
      T,
      async () => {
        const made = runCli(
          [
            "client",
            "create",
            "--name",
            "ES app",
            "--redirect-uri",
            REDIRECT,
            "--first-party",
            "--id-token-alg",
            "ES256",
          ],
          env,
        );
        assert.equal(made.code, 0, made.stderr);
        const clientId = /^client_id: (\S+)$/m.exec(made.stdout)?.[1] ?? "";
        const clientSecret = /^client_secret: (\S+)$/m.exec(made.stdout)?.[1] ?? "";
        const listed = JSON.parse(runCli(["client", "list", "--json"], env).stdout) as {
          clientId: string;
          idTokenAlg: string;
        }[];
        assert.equal(listed.find((c) => c.clientId === clientId)?.idTokenAlg, "ES256");

        // openid-client is told to expect ES256: it refuses an ID token signed otherwise.
        const config = await discover(server, clientId, clientSecret, {
          id_token_signed_response_alg: "ES256",
        });
        const tokens = await codeFlowTokens(config);
        assert.ok(tokens.claims()?.sub);
        assert.equal(headerOf(tokens.id_token).alg, "ES256");
        const key = await jwksKeyOf(config, tokens.id_token);
        assert.equal(key.alg, "ES256");
        assert.equal(key.kty, "EC");

        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? "");
        assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
        assert.equal(headerOf(refreshed.id_token).alg, "ES256");
        assert.equal(headerOf(refreshed.id_token).kid, key.kid);
      },
    );

    test("a client that names no algorithm gets RS256 ID tokens", T, async () => {
      const made = await server.service.oidc.clients.create({
        name: "Plain app",
        redirectUris: [REDIRECT],
        firstParty: true,
      });
      const listed = await server.service.oidc.clients.list();
      assert.equal(listed.find((c) => c.clientId === made.clientId)?.idTokenAlg, "RS256");
      const config = await discover(server, made.clientId, made.clientSecret);
      const tokens = await codeFlowTokens(config);
      assert.equal(headerOf(tokens.id_token).alg, "RS256");
      const key = await jwksKeyOf(config, tokens.id_token);
      assert.equal(key.alg, "RS256");
      assert.equal(key.kty, "RSA");
    });

    test(
      "a client registered before the choice existed (no such field) keeps RS256",
      T,
      async () => {
        const made = await server.service.oidc.clients.create({
          name: "Older app",
          redirectUris: [REDIRECT],
          firstParty: true,
        });
        // Its metadata as the service wrote it before: without id_token_signed_response_alg.
        const { db: opened } = connect({ url: database.url });
        const db = opened as unknown as OidcDb;
        try {
          const row = await db
            .selectFrom("oidc_clients")
            .select("metadata")
            .where("client_id", "=", made.clientId)
            .executeTakeFirstOrThrow();
          const { id_token_signed_response_alg: _alg, ...older } = JSON.parse(row.metadata);
          await db
            .updateTable("oidc_clients")
            .set({ metadata: JSON.stringify(older) })
            .where("client_id", "=", made.clientId)
            .execute();
        } finally {
          await db.destroy();
        }
        assert.equal(
          (await server.service.oidc.clients.metadataOf(made.clientId))
            ?.id_token_signed_response_alg,
          undefined,
        );
        const listed = await server.service.oidc.clients.list();
        assert.equal(listed.find((c) => c.clientId === made.clientId)?.idTokenAlg, "RS256");
        const config = await discover(server, made.clientId, made.clientSecret, {
          id_token_signed_response_alg: "RS256",
        });
        const tokens = await codeFlowTokens(config);
        assert.equal(headerOf(tokens.id_token).alg, "RS256");
      },
    );

    test(
      "client create --id-token-alg HS256: a usage error (exit 2), nothing made",
      T,
      async () => {
        const before_ = (await server.service.oidc.clients.list()).length;
        const refused = runCli(
          [
            "client",
            "create",
            "--name",
            "HS app",
            "--redirect-uri",
            REDIRECT,
            "--id-token-alg",
            "HS256",
          ],
          env,
        );
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /unknown ID token algorithm "HS256" \(RS256, ES256\)/);
        assert.equal((await server.service.oidc.clients.list()).length, before_);
      },
    );
  });
}
