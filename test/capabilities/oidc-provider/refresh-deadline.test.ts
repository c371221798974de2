import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import pg from "pg";
import type { TestDatabase } from "../../helpers/databases.js";
import { signedInUser } from "../../helpers/http.js";
import { postgresFactory } from "../../helpers/proxied-postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

/**
 * Through the real server over PostgreSQL: one slow refresh (its token's row
 * held by another transaction, so it runs into its request deadline) must not
 * fail the refreshes of other clients whose writes happened to share its turn
 * of the event loop. Each of those is answered 5xx although its old refresh
 * token was consumed (committed); the client's retry is then a reuse:
 * invalid_grant, and the grant is revoked.
 */
const { postgres, skip } = await postgresFactory();
const T = { timeout: 120_000 };
const OTHERS = 24;
const ROUNDS = 5;

describe("one request's deadline and other requests' refreshes (PostgreSQL)", { skip }, () => {
  let database: TestDatabase;
  let server: TestServer;
  let config: client.Configuration;
  let user: { email: string; password: string };
  before(async () => {
    if (!postgres) return;
    database = await postgres.create();
    server = await startTestServer({ DATABASE_URL: database.url, DATABASE_TIMEOUT: "1500ms" });
    const made = await server.service.oidc.clients.create({
      name: "Deadline",
      redirectUris: [REDIRECT],
      firstParty: true,
    });
    config = await discover(server, made.clientId, made.clientSecret);
    user = await signedInUser(server.url);
  });
  after(async () => {
    await server?.close();
    await database?.drop();
  });

  const refreshToken = async () => {
    const jar: CookieJar = new Map();
    await serviceLogin(`http://localhost:${server.port}`, jar, user.email, user.password);
    const flow = await codeFlowStart(config);
    const tokens = await client.authorizationCodeGrant(
      config,
      await followAuthorization(flow.url, jar),
      flow.checks,
    );
    assert.ok(tokens.refresh_token);
    return tokens.refresh_token;
  };

  test(
    "a refresh failed by another request's deadline, then retried, is not a reuse",
    T,
    async () => {
      const victims: string[] = [];
      const answers: string[] = [];
      for (let round = 0; round < ROUNDS && victims.length === 0; round++) {
        const slow = await refreshToken();
        const others: string[] = [];
        for (let n = 0; n < OTHERS; n++) others.push(await refreshToken());
        const holder = new pg.Client({ connectionString: database.url });
        await holder.connect();
        try {
          await holder.query("BEGIN");
          await holder.query(
            "SELECT 1 FROM oidc_payloads WHERE model = 'RefreshToken' AND id = $1 FOR UPDATE",
            [slow],
          );
          const results = await Promise.allSettled([
            client.refreshTokenGrant(config, slow),
            ...others.map((rt) => client.refreshTokenGrant(config, rt)),
          ]);
          await holder.query("COMMIT");
          results.slice(1).forEach((result, n) => {
            if (result.status !== "rejected") return;
            victims.push(others[n] as string);
            const reason = result.reason as {
              error?: string;
              status?: number;
              message?: string;
              cause?: { status?: number };
            };
            answers.push(
              `${reason.status ?? reason.cause?.status ?? ""} ${reason.error ?? reason.message ?? ""}`,
            );
          });
        } finally {
          await holder.end();
        }
      }
      if (victims.length === 0) return; // no other request shared the slow one's turn: nothing shown
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The client saw a server error: it retries its refresh, as it should.
      const retried = await Promise.allSettled(
        victims.map((rt) => client.refreshTokenGrant(config, rt)),
      );
      const reuses = retried.filter(
        (result) =>
          result.status === "rejected" &&
          (result.reason as { error?: string }).error === "invalid_grant",
      ).length;
      assert.equal(
        reuses,
        0,
        `${victims.length} refreshes of other clients failed with the slow request's deadline (${answers.join(", ")}); on retry ${reuses} were taken for a reuse (invalid_grant, grant revoked)`,
      );
    },
  );
});
