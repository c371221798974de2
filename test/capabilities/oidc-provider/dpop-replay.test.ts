import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { discover } from "./helpers.js";

/**
 * oidc-provider's replay detection (DPoP proofs, client assertions) is
 * `find(id)`, then `upsert(id)` if nothing was found (ReplayDetection.unique).
 * Over SQLite, within one process, the raw find and the raw upsert used to run
 * in one macrotask: a second request's check always came after the first's
 * write. With the group commit the write lands a turn later, so two requests
 * carrying one proof, checked in the same turn, both find nothing.
 */
const T = { timeout: 120_000 };
const ROUNDS = 40;

for (const factory of await testDatabases()) {
  describe(`one DPoP proof sent three times at once, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    let server: TestServer;
    let tokenEndpoint = "";
    let basic = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      const made = await server.service.oidc.clients.create({
        name: "m2m",
        redirectUris: [],
        grants: ["client_credentials"],
      });
      const config = await discover(server, made.clientId, made.clientSecret);
      tokenEndpoint = config.serverMetadata().token_endpoint ?? "";
      basic = Buffer.from(
        `${encodeURIComponent(made.clientId)}:${encodeURIComponent(made.clientSecret ?? "")}`,
      ).toString("base64");
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    test("a DPoP proof is accepted once, however its replays are timed", T, async () => {
      const { privateKey, publicKey } = await generateKeyPair("ES256");
      const jwk = await exportJWK(publicKey);
      const proof = () =>
        new SignJWT({ jti: randomUUID(), htm: "POST", htu: tokenEndpoint })
          .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
          .setIssuedAt()
          .sign(privateKey);
      const send = async (dpop: string) => {
        const answer = await fetch(tokenEndpoint, {
          method: "POST",
          headers: {
            authorization: `Basic ${basic}`,
            "content-type": "application/x-www-form-urlencoded",
            dpop,
          },
          body: "grant_type=client_credentials",
        });
        const body = (await answer.json()) as { error_description?: string };
        return { status: answer.status, body };
      };
      // Sanity: a replay sent after the first answer is refused.
      const once = await proof();
      assert.equal((await send(once)).status, 200);
      const replay = await send(once);
      assert.equal(replay.status, 400, JSON.stringify(replay.body));
      let doubled = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const shared = await proof();
        const answers = await Promise.all([send(shared), send(shared), send(shared)]);
        if (answers.filter((answer) => answer.status === 200).length > 1) doubled++;
      }
      assert.equal(doubled, 0, `${doubled} of ${ROUNDS} proofs were accepted more than once`);
    });
  });
}
