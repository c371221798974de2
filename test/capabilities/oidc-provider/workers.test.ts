import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as client from "openid-client";
import { listeningPids, runCliAsync, spawnServe, waitFor } from "../../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { tempDir } from "../../helpers/server.js";
import { type CookieJar, codeFlowStart, followAuthorization, serviceLogin } from "./helpers.js";

const T = { timeout: 120_000 };
const SECRET_KEY = "d".repeat(64);

for (const factory of await testDatabases()) {
  describe(`the OpenID provider under --workers 2 on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test("codes, refreshes and client credentials work whichever worker answers", T, async () => {
      if ("skip" in factory) return;
      let database: TestDatabase | undefined;
      let url: string;
      if (factory.name === "sqlite") {
        const dir = tempDir();
        cleanups.push(dir.remove);
        url = `sqlite:${join(dir.dir, "workers.db")}`;
      } else {
        database = await factory.create();
        cleanups.push(() => database?.drop());
        url = database.url;
      }
      const env = { DATABASE_URL: url, SECRET_KEY, BCRYPT_COST: "4" };
      const made = await runCliAsync(
        [
          "client",
          "create",
          "--name",
          "app",
          "--redirect-uri",
          "http://rp.test/callback",
          "--first-party",
          "--grant",
          "client_credentials",
        ],
        env,
      );
      assert.equal(made.code, 0, made.stderr);
      const clientId = /client_id: (\S+)/.exec(made.stdout)?.[1] ?? "";
      const secret = /client_secret: (\S+)/.exec(made.stdout)?.[1] ?? "";
      const server = await spawnServe(env, ["--workers", "2"]);
      cleanups.push(async () => {
        server.child.kill("SIGTERM");
        await server.exited;
      });
      // The first worker's line is enough for spawnServe; on a loaded machine
      // the second may still be starting, and every request would go to one.
      await waitFor(() => listeningPids(server.output()).length >= 2, 60_000, "two workers");
      const base = server.url.replace("127.0.0.1", "localhost");
      const config = await client.discovery(new URL(base), clientId, secret, undefined, {
        execute: [client.allowInsecureRequests],
      });
      const email = `workers-${factory.name}@example.com`;
      const password = "a strong passphrase";
      const registered = await fetch(`${base}/users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      assert.equal(registered.status, 200);
      // Several flows, so that both workers take part in each step.
      for (let round = 0; round < 4; round++) {
        const jar: CookieJar = new Map();
        await serviceLogin(base, jar, email, password);
        const { url: start, checks } = await codeFlowStart(config);
        const landed = await followAuthorization(start, jar);
        assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
        const tokens = await client.authorizationCodeGrant(config, landed, checks);
        assert.ok(tokens.claims()?.sub);
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? "");
        const info = await client.fetchUserInfo(
          config,
          refreshed.access_token,
          tokens.claims()?.sub ?? "",
        );
        assert.equal(info.email, email);
        assert.ok((await client.clientCredentialsGrant(config, {})).access_token);
      }
      assert.equal(new Set(listeningPids(server.output())).size, 2, "neither worker was replaced");
    });
  });
}
