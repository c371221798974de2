import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, describe, test } from "node:test";
import { totpCode } from "../../src/capabilities/second-factor/totp.js";
import { SecondFactorRequiredError } from "../../src/core/errors.js";
import { createAuth } from "../../src/main/create-auth.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf, type TestResponse } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u";

/**
 * One policy on every way in: each path that can open a session, tried with
 * the right password on an account with TOTP on, must open none. A new way
 * in (passkeys, the OpenID provider's login) gets a row here.
 */
const WAYS_IN: {
  name: string;
  attempt(server: TestServer, email: string): Promise<{ cookie?: string; token?: string }>;
}[] = [
  {
    name: "POST /sessions with a form",
    attempt: (server, email) => viaHttp(server, { form: { email, password: PASSWORD } }),
  },
  {
    name: "POST /sessions with JSON",
    attempt: (server, email) => viaHttp(server, { json: { email, password: PASSWORD } }),
  },
  {
    name: "POST /sessions with Authorization: Basic",
    attempt: (server, email) =>
      viaHttp(server, {
        headers: {
          authorization: `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString("base64")}`,
        },
      }),
  },
  {
    name: "the hosted login page",
    async attempt(server, email) {
      const r = await request(server.url, "POST", "/account/login", {
        form: { email, password: PASSWORD },
        headers: { origin: server.url },
      });
      assert.notEqual(r.headers.get("location"), "/account", "the page does not sign in");
      return { cookie: sessionCookieOf(r) };
    },
  },
  {
    name: "Auth.login in the library",
    async attempt(server, email) {
      const service = await createAuth({ databaseUrl: server.databaseUrl, bcryptCost: 4 });
      try {
        await assert.rejects(
          service.auth.login(email, PASSWORD),
          (error: unknown) =>
            error instanceof SecondFactorRequiredError && error.mfaToken.length > 0,
        );
        return {};
      } finally {
        await service.close();
      }
    },
  },
];

async function viaHttp(
  server: TestServer,
  options: Parameters<typeof request>[3],
): Promise<{ cookie?: string; token?: string }> {
  const r: TestResponse = await request(server.url, "POST", "/sessions", options);
  assert.equal(r.status, 401, r.text);
  const body = r.body as { error?: string; session_token?: string };
  assert.equal(body.error, "mfa_required");
  return { cookie: sessionCookieOf(r), token: body.session_token };
}

for (const factory of await testDatabases()) {
  describe(`every way in asks for the second factor, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    const email = "guarded@example.com";
    let secret = "";
    let recoveryCodes: string[] = [];

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestApp({ DATABASE_URL: database.url });
      const form = { email, password: PASSWORD };
      await request(server.url, "POST", "/users", { form });
      const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
      secret = (
        (await request(server.url, "POST", "/mfa/totp/setup", { cookie })).body as {
          secret: string;
        }
      ).secret;
      const confirmed = await request(server.url, "POST", "/mfa/totp/confirm", {
        cookie,
        json: { code: totpCode(secret, new Date()), password: PASSWORD },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      recoveryCodes = (confirmed.body as { recovery_codes: string[] }).recovery_codes;
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    for (const way of WAYS_IN) {
      test(`${way.name}: no session without the factor`, TIMEOUT, async () => {
        const { cookie, token } = await way.attempt(server, email);
        assert.equal(cookie, undefined, "no session cookie");
        assert.equal(token, undefined, "no session token");
      });
    }

    test(
      "the database file holds neither the TOTP secret nor a recovery code in clear",
      TIMEOUT,
      async (t) => {
        if (factory.name !== "sqlite") return t.skip("reads the SQLite file's bytes");
        const file = server.databaseUrl.slice("sqlite:".length);
        const dir = dirname(file);
        // The file and its write-ahead log: a fresh row may still be in the latter.
        const bytes = readdirSync(dir)
          .filter((name) => name.startsWith("auth.db"))
          .map((name) => readFileSync(`${dir}/${name}`));
        assert.ok(bytes.length >= 1);
        const needles = [
          secret,
          secret.toLowerCase(),
          ...recoveryCodes,
          ...recoveryCodes.map((code) => code.replace("-", "")),
        ];
        for (const content of bytes) {
          for (const needle of needles) {
            assert.equal(content.indexOf(Buffer.from(needle)), -1, "a secret is in the file");
          }
        }
        // The sealed secret is there, so the check above looked at the right rows.
        assert.ok(bytes.some((content) => content.includes(Buffer.from("v1."))));
      },
    );
  });
}
