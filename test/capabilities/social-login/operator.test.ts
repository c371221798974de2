import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { ServiceUnavailableError } from "../../../src/core/errors.js";
import { runCliAsync } from "../../helpers/cli.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer, tempDir } from "../../helpers/server.js";
import { startUpstream, type Upstream } from "./upstream.js";

const SECRET = "corp-client-secret-never-shown";

describe("providers: the provider commands and /admin/providers", () => {
  const folder = tempDir();
  const databaseUrl = `sqlite:${join(folder.dir, "providers.db")}`;
  const env = { DATABASE_URL: databaseUrl, PORT: "5000" };
  let upstream: Upstream;
  let server: TestServer;

  before(async () => {
    upstream = await startUpstream(["http://localhost:5000/login/corp/callback"]);
    server = await startTestServer({ DATABASE_URL: databaseUrl });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    folder.remove();
  });

  test("add (by discovery, and a preset) prints the redirect_uri; list never shows the secret, sealed at rest; a running service sees add and remove within seconds", {
    timeout: 240_000, // Nine CLI processes, each a Node start under tsx: slow on a loaded machine.
  }, async () => {
    const added = await runCliAsync(
      [
        "provider",
        "add",
        "corp",
        "--issuer",
        upstream.issuer,
        "--client-id",
        "corp-app",
        "--client-secret",
        SECRET,
        "--name",
        "Corp SSO",
        "--scope",
        "profile",
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^redirect_uri: http:\/\/localhost:5000\/login\/corp\/callback$/m);
    assert.ok(!added.stdout.includes(SECRET));
    const github = await runCliAsync(
      [
        "provider",
        "add",
        "gh",
        "--preset",
        "github",
        "--client-id",
        "gh-app",
        "--client-secret",
        "gh-secret",
      ],
      env,
    );
    assert.equal(github.code, 0, github.stderr);
    const unreachable = await runCliAsync(
      [
        "provider",
        "add",
        "gone",
        "--issuer",
        "http://127.0.0.1:9/",
        "--client-id",
        "a",
        "--client-secret",
        "b",
      ],
      env,
    );
    assert.equal(unreachable.code, 1, unreachable.stdout);
    const duplicate = await runCliAsync(
      ["provider", "add", "gh", "--preset", "github", "--client-id", "a", "--client-secret", "b"],
      env,
    );
    assert.equal(duplicate.code, 1);
    for (const bad of [
      [
        "provider",
        "add",
        "Bad_Id",
        "--preset",
        "google",
        "--client-id",
        "a",
        "--client-secret",
        "b",
      ],
      ["provider", "add", "x", "--preset", "myspace", "--client-id", "a", "--client-secret", "b"],
      ["provider", "add", "x", "--issuer", "not a url", "--client-id", "a", "--client-secret", "b"],
      ["provider", "add", "x", "--preset", "google"],
      ["provider", "remove"],
    ]) {
      const refused = await runCliAsync(bad, env);
      assert.equal(refused.code, 2, `${bad.join(" ")}: ${refused.stdout}${refused.stderr}`);
    }
    const listed = await runCliAsync(["provider", "list", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(SECRET) && !listed.stdout.includes("gh-secret"));
    const providers = JSON.parse(listed.stdout) as Array<{
      id: string;
      name: string;
      kind: string;
      scopes: string[];
    }>;
    assert.deepEqual(
      providers.map(({ id, name, kind }) => ({ id, name, kind })),
      [
        { id: "corp", name: "Corp SSO", kind: "oidc" },
        { id: "gh", name: "GitHub", kind: "github" },
      ],
    );
    const sqlite = new BetterSqlite3(join(folder.dir, "providers.db"), { readonly: true });
    const rows = sqlite.prepare("SELECT * FROM social_providers").all();
    sqlite.close();
    assert.ok(!JSON.stringify(rows).includes(SECRET), "sealed under SECRET_KEY");

    // The running service (its own copy of the list) shows both within seconds.
    const shows = async (name: string) =>
      (await request(server.url, "GET", "/account/login")).text.includes(`Continue with ${name}`);
    await eventually(() => shows("Corp SSO"));
    assert.equal(await shows("GitHub"), true);
    const removed = await runCliAsync(["provider", "remove", "corp"], env);
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(async () => !(await shows("Corp SSO")));
    assert.equal((await runCliAsync(["provider", "remove", "corp"], env)).code, 1);
  });

  test("/admin/providers needs the providers:write scope, and never answers a secret", {
    timeout: 60_000,
  }, async () => {
    const writer = await server.service.apiKeys.create({
      name: "providers-bot",
      scopes: ["providers:write"],
    });
    const reader = await server.service.apiKeys.create({
      name: "reader-bot",
      scopes: ["users:read"],
    });
    const as = (key: { key: string }) => ({ headers: { authorization: `Bearer ${key.key}` } });
    assert.equal((await request(server.url, "GET", "/admin/providers", as(reader))).status, 403);
    assert.equal((await request(server.url, "GET", "/admin/providers")).status, 401);
    const made = await request(server.url, "POST", "/admin/providers", {
      ...as(writer),
      json: { id: "lab", preset: "gitlab", clientId: "lab-app", clientSecret: "lab-secret" },
    });
    assert.equal(made.status, 201, made.text);
    assert.match((made.body as { redirectUri: string }).redirectUri, /\/login\/lab\/callback$/);
    assert.ok(!made.text.includes("lab-secret"));
    for (const body of [
      { id: "x" },
      { id: "x", clientId: "a", clientSecret: "b" },
      { id: "x", preset: "gitlab", issuer: "https://a.example", clientId: "a", clientSecret: "b" },
      { id: "BAD", preset: "gitlab", clientId: "a", clientSecret: "b" },
      { id: "x", preset: "nope", clientId: "a", clientSecret: "b" },
      { id: "x", issuer: "http://127.0.0.1:9/", clientId: "a", clientSecret: "b" },
      { id: "x", preset: "gitlab", clientId: 5, clientSecret: "b" },
      { id: "lab", preset: "gitlab", clientId: "a", clientSecret: "b", extra: 1 },
      // No control character in what is stored (PostgreSQL refuses NUL) ...
      { id: "x", preset: "google", clientId: "a\u0000b", clientSecret: "s" },
      { id: "x", preset: "google", clientId: "a", clientSecret: "s\u0000" },
      { id: "x", preset: "google", name: "x\u0000y", clientId: "a", clientSecret: "s" },
      { id: "x", issuer: "https://sso.example/\u0000", clientId: "a", clientSecret: "s" },
      { id: "x", preset: "google", clientId: "a", clientSecret: "s", scopes: ["a\u0001"] },
      // ... and nothing in the login button's name that reorders or hides it.
      { id: "x", preset: "google", name: "\u202eelgooG", clientId: "a", clientSecret: "s" },
      { id: "x", preset: "google", name: "Goo\u200bgle", clientId: "a", clientSecret: "s" },
    ]) {
      const refused = await request(server.url, "POST", "/admin/providers", {
        ...as(writer),
        json: body,
      });
      assert.equal(refused.status, 400, `${JSON.stringify(body)}: ${refused.text}`);
    }
    // The database failing is not the request's fault, nor a discovery failure.
    const social = server.service.auth.socialLogin;
    const addProvider = social.addProvider;
    social.addProvider = async () => {
      throw new ServiceUnavailableError("the database is unavailable");
    };
    try {
      const failed = await request(server.url, "POST", "/admin/providers", {
        ...as(writer),
        json: { id: "down", preset: "gitlab", clientId: "a", clientSecret: "b" },
      });
      assert.equal(failed.status, 503, failed.text);
    } finally {
      social.addProvider = addProvider;
    }
    const twice = await request(server.url, "POST", "/admin/providers", {
      ...as(writer),
      json: { id: "lab", preset: "gitlab", clientId: "a", clientSecret: "b" },
    });
    assert.equal(twice.status, 409);
    const list = await request(server.url, "GET", "/admin/providers", as(writer));
    assert.equal(list.status, 200);
    assert.ok(!list.text.includes("lab-secret"));
    assert.equal(
      (await request(server.url, "DELETE", "/admin/providers/lab", as(writer))).status,
      200,
    );
    assert.equal(
      (await request(server.url, "DELETE", "/admin/providers/lab", as(writer))).status,
      404,
    );
    assert.equal(
      (await request(server.url, "DELETE", "/admin/providers/%20", as(writer))).status,
      400,
    );
  });
});

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail("not seen within 15 s");
}

test("production takes https issuers and endpoints only", { timeout: 60_000 }, async () => {
  const { createAuth } = await import("../../../src/main/create-auth.js");
  const service = await createAuth({
    databaseUrl: "sqlite::memory:",
    mode: "production",
    secretKey: "ab".repeat(32),
  });
  try {
    const provider = {
      id: "plain",
      name: "Plain",
      kind: "oidc" as const,
      clientId: "a",
      clientSecret: "b",
    };
    await assert.rejects(
      service.auth.socialLogin.providers.add({ ...provider, issuer: "http://sso.example.com" }),
      RangeError,
    );
    assert.equal(
      await service.auth.socialLogin.providers.add({
        ...provider,
        issuer: "https://sso.example.com",
      }),
      true,
    );
  } finally {
    await service.close();
  }
});
