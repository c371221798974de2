import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { type GitHubDouble, startGitHubDouble } from "./github-double.js";
import { CookieJar } from "./jar.js";

for (const factory of await testDatabases()) {
  describe(`GitHub's OAuth 2 sign-in (a double of its documented endpoints), on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let github: GitHubDouble;
    let base: string;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      base = `http://localhost:${server.port}`;
      github = await startGitHubDouble();
      await server.service.auth.socialLogin.providers.add({
        id: "github",
        name: "GitHub",
        kind: "github",
        issuer: "https://github.com",
        endpoints: {
          authorization: `${github.url}/login/oauth/authorize`,
          token: `${github.url}/login/oauth/access_token`,
          userinfo: github.url,
        },
        clientId: github.clientId,
        clientSecret: github.clientSecret,
        scopes: ["read:user", "user:email"],
      });
    });
    after(async () => {
      await github?.close();
      await server?.close();
      await database?.drop();
    });

    async function signIn(jar: CookieJar) {
      const started = await jar.follow(`${base}/login/github`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      assert.ok(started.stoppedAt, await started.response.text());
      return jar.fetch(started.stoppedAt);
    }

    test("the verified primary email makes the account (GitHub's numeric id as the subject)", {
      timeout: 60_000,
    }, async () => {
      github.signInAs({
        id: 4242,
        login: "octo",
        emails: [
          { email: "octo-old@example.com", primary: false, verified: true },
          { email: "octo@example.com", primary: true, verified: true },
        ],
      });
      const jar = new CookieJar();
      const started = await jar.follow(`${base}/login/github`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const authorize = new URL(started.url);
      assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
      assert.equal(authorize.searchParams.get("scope"), "read:user user:email");
      const answer = await jar.fetch(started.stoppedAt ?? "");
      assert.equal(answer.status, 303, await answer.text());
      const user = await server.service.auth.getUserFromSessionId(jar.get(base, "session_id"));
      assert.equal(user?.email, "octo@example.com");
      assert.ok(user?.emailVerifiedAt);
      const identities = await server.service.auth.socialLogin.identities(user?.id ?? 0);
      assert.deepEqual(
        identities.map(({ provider, email }) => ({ provider, email })),
        [{ provider: "github", email: "octo@example.com" }],
      );
      // Again, in another browser: the same account by GitHub's id.
      const again = new CookieJar();
      assert.equal((await signIn(again)).status, 303);
      const same = await server.service.auth.getUserFromSessionId(again.get(base, "session_id"));
      assert.equal(same?.id, user?.id);
    });

    test("an unverified primary email is not trusted: no account, no session", {
      timeout: 60_000,
    }, async () => {
      github.signInAs({
        id: 777,
        login: "mallory",
        emails: [
          { email: "victim@example.com", primary: true, verified: false },
          { email: "mallory@example.com", primary: false, verified: true },
        ],
      });
      const jar = new CookieJar();
      const answer = await signIn(jar);
      assert.equal(answer.status, 403);
      assert.match(await answer.text(), /verified email address/);
      assert.equal(jar.get(base, "session_id"), undefined);
      assert.equal(await server.service.store.findUser({ email: "victim@example.com" }), null);
      assert.equal(await server.service.store.findUser({ email: "mallory@example.com" }), null);
    });
  });
}
