import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cliCommand } from "../../../src/main/commands/table.js";
import type { ResolvedAddress } from "../../../src/platform/net/checked-lookup.js";
import { runCommandInProcess } from "../../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer, tempDir } from "../../helpers/server.js";
import { productionMailEnv, startSmtpServer, TEST_SECRET_KEY } from "../../helpers/smtp.js";
import { CookieJar } from "./jar.js";
import { startUpstream, type Upstream } from "./upstream.js";

/** The penetration test's attacks through the providers themselves. */
for (const factory of await testDatabases()) {
  describe(`social login resists the provider attacks, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let first: Upstream;
    let second: Upstream;
    let forged: Upstream;
    let base: string;
    let key: string;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      base = `http://localhost:${server.port}`;
      first = await startUpstream([`${base}/login/re/callback`]);
      second = await startUpstream([`${base}/login/re/callback`]);
      forged = await startUpstream([`${base}/login/forged/callback`], { foreignJwks: true });
      key = (
        await server.service.apiKeys.create({ name: "providers-bot", scopes: ["providers:write"] })
      ).key;
    });
    after(async () => {
      await Promise.all([first?.close(), second?.close(), forged?.close()]);
      await server?.close();
      await database?.drop();
    });

    const admin = (method: string, path: string, json?: unknown) =>
      request(server.url, method, path, {
        headers: { authorization: `Bearer ${key}` },
        ...(json ? { json } : {}),
      });
    const addProvider = (id: string, upstream: Upstream) =>
      admin("POST", "/admin/providers", {
        id,
        issuer: upstream.issuer,
        clientId: upstream.clientId,
        clientSecret: upstream.clientSecret,
      });
    async function callback(jar: CookieJar, id: string): Promise<Response> {
      const started = await jar.follow(`${base}/login/${id}`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      assert.ok(started.stoppedAt, `no callback: ${started.response.status}`);
      return jar.fetch(started.stoppedAt);
    }

    test("an id added again for another issuer signs no one in by an old identity's sub; add and remove are audited", {
      timeout: 90_000,
    }, async () => {
      const owner = `owner-${factory.name}@example.com`;
      assert.equal((await addProvider("re", first)).status, 201);
      first.signInAs({ sub: "shared-sub", email: owner, email_verified: true });
      assert.equal((await callback(new CookieJar(), "re")).status, 303);
      const ownerId = (await server.service.store.findUser({ email: owner }))?.id ?? 0;
      assert.equal((await server.service.auth.socialLogin.identities(ownerId)).length, 1);

      assert.equal((await admin("DELETE", "/admin/providers/re")).status, 200);
      assert.deepEqual(await server.service.auth.socialLogin.identities(ownerId), []);
      assert.equal((await addProvider("re", second)).status, 201);
      // Another issuer's account with the same sub: its own new account, not the owner's.
      const stranger = `stranger-${factory.name}@example.com`;
      second.signInAs({ sub: "shared-sub", email: stranger, email_verified: true });
      const jar = new CookieJar();
      assert.equal((await callback(jar, "re")).status, 303);
      const user = await server.service.auth.getUserFromSessionId(jar.get(base, "session_id"));
      assert.equal(user?.email, stranger);
      assert.notEqual(user?.id, ownerId);

      await server.service.audit.flush();
      const rows = (await server.service.audit.list({ limit: 200 })).filter((row) =>
        row.event.startsWith("provider_"),
      );
      const seen = rows.map((row) => `${row.event}:${row.outcome}:${row.userAgent}`);
      for (const expected of [
        "provider_added:re:api-key providers-bot",
        "provider_removed:re:api-key providers-bot",
      ])
        assert.ok(seen.includes(expected), seen.join(" "));
    });

    test("a Microsoft tenant is one path segment: '..' and its spellings are refused", {
      timeout: 60_000,
    }, async () => {
      for (const tenant of ["..", "a..b", ".", "a/b", "%2e%2e", "-x"]) {
        const answer = await admin("POST", "/admin/providers", {
          id: "ms",
          preset: "microsoft",
          tenant,
          clientId: "a",
          clientSecret: "secret-b",
        });
        assert.equal(answer.status, 400, `${tenant}: ${answer.text}`);
      }
      assert.ok(
        !(await server.service.auth.socialLogin.providers.list()).some((each) => each.id === "ms"),
      );
    });

    test("an ID token signed by a key outside the provider's JWKS is refused", {
      timeout: 90_000,
    }, async () => {
      assert.equal((await addProvider("forged", forged)).status, 201);
      forged.signInAs({ sub: "forged", email: "forged@example.com", email_verified: true });
      const jar = new CookieJar();
      const answer = await callback(jar, "forged");
      assert.equal(answer.status, 400, await answer.text());
      assert.equal(jar.get(base, "session_id"), undefined);
      assert.equal(await server.service.store.findUser({ email: "forged@example.com" }), null);
    });
  });
}

describe("production: providers at internal addresses are refused, at add and at every request", () => {
  let server: TestServer;
  let close: () => Promise<void>;
  let listener: Server;
  let connections = 0;
  let port = 0;
  let key: string;
  // Stands in for DNS, whose answers the test changes between add and use.
  const records = new Map<string, ResolvedAddress[]>([
    ["internal.example.test", [{ address: "10.1.2.3", family: 4 }]],
    ["rebound.example.test", [{ address: "203.0.113.7", family: 4 }]],
    ["idp.allowed.test", [{ address: "127.0.0.1", family: 4 }]],
  ]);

  before(async () => {
    const smtp = await startSmtpServer();
    server = await startTestServer(
      { ...productionMailEnv(smtp), SOCIAL_ALLOWED_HOSTS: "idp.allowed.test" },
      { resolveProviderHost: async (name) => records.get(name) ?? [] },
    );
    // Counts who connects: what the refused requests must never reach.
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as { port: number }).port;
    key = (await server.service.apiKeys.create({ name: "ops", scopes: ["providers:write"] })).key;
    close = async () => {
      await server.close();
      await smtp.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    };
  });
  after(() => close?.());

  test("the admin API and the CLI refuse loopback, private, link-local and names resolving there", {
    timeout: 90_000,
  }, async () => {
    const refused: Array<[string, RegExp]> = [
      ["https://127.0.0.1/", /loopback/],
      ["https://localhost:8443/", /loopback/],
      ["https://2130706433/", /loopback/],
      ["https://[::1]/", /loopback/],
      ["https://[::ffff:169.254.169.254]/", /link-local/],
      ["https://169.254.169.254/", /link-local/],
      ["https://10.0.0.5/", /private/],
      ["https://internal.example.test/", /private/],
    ];
    for (const [issuer, kind] of refused) {
      const answer = await request(server.url, "POST", "/admin/providers", {
        headers: { authorization: `Bearer ${key}` },
        json: { id: "inside", issuer, clientId: "a", clientSecret: "secret-b" },
      });
      assert.equal(answer.status, 400, `${issuer}: ${answer.text}`);
      assert.match(answer.text, kind, issuer);
      assert.match(answer.text, /SOCIAL_ALLOWED_HOSTS/);
    }
    assert.deepEqual(await server.service.auth.socialLogin.providers.list(), []);

    const { dir, remove } = tempDir();
    try {
      const env = {
        AUTH_MODE: "production",
        DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
        SECRET_KEY: TEST_SECRET_KEY,
        SMTP_URL: "smtp://127.0.0.1:2525",
        MAIL_FROM: "no-reply@example.test",
        PUBLIC_URL: "https://auth.example.test",
        BCRYPT_COST: "4",
      };
      const args = ["add", "inside", "--issuer", "https://169.254.169.254/"];
      const cli = await runCommandInProcess(
        cliCommand("provider"),
        [...args, "--client-id", "a", "--client-secret", "b"],
        env,
      );
      assert.equal(cli.code, 2, cli.stderr);
      assert.match(cli.stderr, /link-local/);
    } finally {
      remove();
    }
    assert.equal(connections, 0);
  });

  test("a name that moves to this host after add is never connected to; a listed one is", {
    timeout: 90_000,
  }, async () => {
    const social = server.service.auth.socialLogin;
    const provider = { kind: "oidc" as const, clientId: "a", clientSecret: "secret-b" };
    assert.ok(
      await social.providers.add({
        ...provider,
        id: "rebound",
        name: "Rebound",
        issuer: `https://rebound.example.test:${port}`,
      }),
    );
    records.set("rebound.example.test", [{ address: "127.0.0.1", family: 4 }]);
    const answer = await new CookieJar().fetch(`http://localhost:${server.port}/login/rebound`);
    assert.equal(answer.status, 502);
    assert.equal(connections, 0, "discovery never reached the internal address");

    assert.ok(
      await social.providers.add({
        ...provider,
        id: "allowed",
        name: "Allowed",
        issuer: `https://idp.allowed.test:${port}`,
      }),
    );
    await new CookieJar().fetch(`http://localhost:${server.port}/login/allowed`);
    assert.ok(connections > 0, "SOCIAL_ALLOWED_HOSTS lets a listed name through");
  });
});

describe("linking a sign-in is announced by mail, like every other new way in", () => {
  test("Link another mails the account's owner", { timeout: 90_000 }, async (t) => {
    const smtp = await startSmtpServer();
    t.after(() => smtp.close());
    // Mail needs PUBLIC_URL, which names the port: one free a moment ago.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const base = `http://localhost:${freePort}`;
    const server = await startTestServer({
      SMTP_URL: smtp.url,
      MAIL_FROM: "no-reply@example.test",
      PUBLIC_URL: base,
      PORT: String(freePort),
    });
    t.after(() => server.close());
    const upstream = await startUpstream([`${base}/login/up/callback`]);
    t.after(() => upstream.close());
    await server.service.auth.socialLogin.providers.add({
      id: "up",
      name: "Upstream",
      kind: "oidc",
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
    const email = "noticed@example.com";
    const password = "b4l0u-noticed";
    await request(server.url, "POST", "/users", { form: { email, password } });
    const jar = new CookieJar();
    await jar.post(`${base}/account/login`, { email, password });
    upstream.signInAs({ sub: "noticed", email: "elsewhere@example.com", email_verified: true });
    const started = await jar.follow(`${base}/login/up?link=1`, (url) =>
      url.pathname.endsWith("/callback"),
    );
    assert.equal((await jar.fetch(started.stoppedAt ?? "")).status, 303);
    const mail = await smtp.waitForMail(
      (m) => m.to.includes(email) && /was linked to your account/.test(m.subject),
    );
    assert.match(mail.text, /signs in without the password/);
    assert.ok(!mail.text.includes(upstream.clientSecret));
  });
});
