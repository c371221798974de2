import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import * as client from "openid-client";
import type { OidcStores } from "../../../src/capabilities/oidc-provider/index.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  serviceLogin,
} from "./helpers.js";

/*
 * Set-ups of the tests of what the provider keeps in memory (userinfo answers,
 * token and grant rows, accounts): a user's tokens through the code flow, or
 * a grant and access tokens written as oidc-provider writes them.
 */

const HOUR = 3600;

/** A signed-in user's tokens from a first-party client's code flow (no browser needed). */
export async function tokensOf(server: TestServer, scope: string) {
  const user = await signedInUser(server.url);
  const made = await server.service.oidc.clients.create({
    name: "First",
    redirectUris: ["http://rp.test/callback"],
    firstParty: true,
  });
  const config = await discover(server, made.clientId, made.clientSecret);
  const jar: CookieJar = new Map();
  await serviceLogin(`http://localhost:${server.port}`, jar, user.email, user.password);
  const flow = await codeFlowStart(config, { scope, prompt: "" });
  const tokens = await client.authorizationCodeGrant(
    config,
    await followAuthorization(flow.url, jar),
    flow.checks,
  );
  return { user, jar, config, tokens };
}

/** The status `ask` answers once it is no longer 200, asking every 20 ms for up to 2 s. */
export async function statusOnceChanged(ask: () => Promise<Response>): Promise<number> {
  let status = 200;
  for (let i = 0; i < 100 && status === 200; i++) {
    status = (await ask()).status;
    if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return status;
}

/** What the crafted-row tests need of the provider's stores. */
export type Stores = Pick<OidcStores, "payloads" | "clients" | "subjects">;

/**
 * A new user of the server, a client and a grant to it as oidc-provider stores
 * them, and a maker of that grant's access tokens (with `extra` fields).
 */
export async function crafted(server: TestServer, stores: Stores) {
  const user = await signedInUser(server.url);
  const account = await server.service.auth.getUserFromSessionId(
    user.cookie.slice("session_id=".length),
  );
  assert.ok(account);
  const sub = await stores.subjects.subjectOf(account.id);
  const made = await stores.clients.create({
    name: "Crafted",
    redirectUris: ["http://rp.test/cb"],
  });
  const now = Math.floor(Date.now() / 1000);
  const grantId = randomBytes(16).toString("base64url");
  await stores.payloads.upsert(
    "Grant",
    grantId,
    {
      iat: now,
      exp: now + HOUR,
      accountId: sub,
      clientId: made.clientId,
      kind: "Grant",
      jti: grantId,
      openid: { scope: "openid email" },
    },
    HOUR,
  );
  const token = async (extra: Record<string, unknown> = {}) => {
    const id = randomBytes(32).toString("base64url");
    await stores.payloads.upsert(
      "AccessToken",
      id,
      {
        iat: now,
        exp: now + HOUR,
        accountId: sub,
        clientId: made.clientId,
        grantId,
        gty: "authorization_code",
        scope: "openid email",
        kind: "AccessToken",
        jti: id,
        ...extra,
      },
      HOUR,
    );
    return id;
  };
  return { user, sub, grantId, token };
}

/** The PostgreSQL factory, when this machine has one (else the suites using it skip). */
export const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

/**
 * Inside a describe: two instances over one new PostgreSQL database, started
 * before its tests and stopped (the database dropped) after them. Their
 * `servers` fill in once started.
 */
export function twoInstancesOverPostgres(secretKey: string): {
  servers: TestServer[];
  database: () => TestDatabase | undefined;
} {
  let database: TestDatabase | undefined;
  const servers: TestServer[] = [];
  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    const env = { DATABASE_URL: database.url, SECRET_KEY: secretKey };
    servers.push(await startTestServer(env), await startTestServer(env));
  });
  after(async () => {
    for (const server of servers) await server.close();
    await database?.drop();
  });
  return { servers, database: () => database };
}
