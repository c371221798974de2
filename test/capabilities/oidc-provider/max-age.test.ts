import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followAuthorization,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 120_000 };

describe("max_age and prompt=login ask for a sign-in made after the request", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  test(
    "max_age=0: an older session goes to the login page; a fresh sign-in gets the code",
    T,
    async () => {
      const base = `http://localhost:${server.port}`;
      const { email, password } = await signedInUser(server.url);
      const made = await server.service.oidc.clients.create({
        name: "first",
        redirectUris: ["http://rp.test/callback"],
        firstParty: true,
      });
      const config = await discover(server, made.clientId, made.clientSecret);
      const jar: CookieJar = new Map();
      await serviceLogin(base, jar, email, password);
      // Without max_age, the service's session signs in at once.
      const plain = await codeFlowStart(config);
      const first = await followAuthorization(plain.url, jar);
      assert.equal(first.origin, "http://rp.test", `at ${first}`);
      assert.ok((await client.authorizationCodeGrant(config, first, plain.checks)).access_token);

      // A request asking max_age=0, a second on (the provider's clock counts whole seconds).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const strict = await codeFlowStart(config, { max_age: "0" });
      const stopped = await followAuthorization(strict.url, jar);
      assert.equal(stopped.pathname, "/account/login", `at ${stopped}`);
      const signedInAgain = Math.floor(Date.now() / 1000);
      // The login page signs in again and goes back to the same request's interaction.
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const login = await fetch(`${base}/account/login`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email, password }),
      });
      for (const line of login.headers.getSetCookie()) {
        const pair = line.split(";")[0] ?? "";
        jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
      }
      const onward = /url=([^"]+)"/.exec(await login.text())?.[1];
      assert.match(onward ?? "", /^\/oidc\/interaction\//, "on to the interaction");
      const landed = await followAuthorization(new URL(onward ?? "", base), jar);
      assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
      const tokens = await client.authorizationCodeGrant(config, landed, strict.checks);
      assert.ok(
        Number(tokens.claims()?.auth_time) >= signedInAgain,
        `auth_time ${tokens.claims()?.auth_time}: the fresh sign-in's (${signedInAgain})`,
      );
    },
  );
});
