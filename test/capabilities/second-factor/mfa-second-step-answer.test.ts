import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SecondFactorRequiredError } from "../../../src/core/errors.js";
import { createAuth } from "../../../src/main/create-auth.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { type RequestOptions, request, sessionCookieOf } from "../../helpers/http.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";
import { turnOnTotp } from "../../helpers/totp.js";

// POST /sessions/mfa answers "exactly as a login" (CONTRACT.md C): the login
// whose password step it finishes. A program that logged in with Basic or
// JSON, and so may keep no cookie jar, gets the session token in the body, as
// a Basic login does; a form login's second step keeps the original's answer.

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u";

for (const factory of await testDatabases()) {
  describe(`the second step answers as its first step's login, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    const email = "second-step@example.com";
    // One per second step: a TOTP code works once per 30 s, a recovery code once.
    let recoveryCodes: string[] = [];

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestApp({ DATABASE_URL: database.url });
      const form = { email, password: PASSWORD };
      await request(server.url, "POST", "/users", { form });
      const login = await request(server.url, "POST", "/sessions", { form });
      const cookie = `session_id=${sessionCookieOf(login)}`;
      ({ recoveryCodes } = await turnOnTotp(server.url, cookie, PASSWORD));
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    /** The mfa_token of a password step made with these request options. */
    async function firstStep(options: RequestOptions): Promise<string> {
      const r = await request(server.url, "POST", "/sessions", options);
      assert.equal(r.status, 401, r.text);
      return (r.body as { mfa_token: string }).mfa_token;
    }

    /** The second step, its body sent as `as`; checks the cookie and returns the body. */
    async function secondStep(mfaToken: string, as: "json" | "form"): Promise<object> {
      const fields = { mfa_token: mfaToken, code: recoveryCodes.pop() ?? "" };
      const r = await request(
        server.url,
        "POST",
        "/sessions/mfa",
        as === "json" ? { json: fields } : { form: fields },
      );
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("cache-control"), "no-store");
      const cookie = sessionCookieOf(r);
      assert.ok(cookie, "the session cookie, as every login sets it");
      const body = r.body as { session_token?: string };
      if (body.session_token !== undefined) assert.equal(body.session_token, cookie);
      return body;
    }

    async function bearerProfile(token: string): Promise<number> {
      const headers = { authorization: `Bearer ${token}` };
      return (await request(server.url, "GET", "/profile", { headers })).status;
    }

    const basic = `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString("base64")}`;

    test(
      "after a Basic login: the session token in the body, as a Basic login",
      TIMEOUT,
      async () => {
        for (const as of ["json", "form"] as const) {
          const token = await firstStep({ headers: { authorization: basic } });
          const body = (await secondStep(token, as)) as { session_token: string };
          assert.deepEqual(Object.keys(body).sort(), ["email", "message", "session_token"]);
          assert.equal(await bearerProfile(body.session_token), 200, "a bearer token that works");
        }
      },
    );

    test("after a JSON login: the session token in the body too", TIMEOUT, async () => {
      for (const as of ["json", "form"] as const) {
        const token = await firstStep({ json: { email, password: PASSWORD } });
        const body = (await secondStep(token, as)) as { session_token: string };
        assert.deepEqual(
          { ...body, session_token: "" },
          {
            email,
            message: "logged in",
            session_token: "",
          },
        );
        assert.equal(await bearerProfile(body.session_token), 200);
      }
    });

    test(
      "after a form login, the page's or the library's: the form's answer, unchanged",
      TIMEOUT,
      async () => {
        const form = { email, password: PASSWORD };
        const page = await request(server.url, "POST", "/account/login", { form });
        const pageToken = /name="mfa_token" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
        assert.notEqual(pageToken, "", "the page's second step carries its mfa_token");
        const service = await createAuth({ databaseUrl: server.databaseUrl, bcryptCost: 4 });
        let libraryToken = "";
        try {
          await service.auth.login(email, PASSWORD).catch((error: unknown) => {
            assert.ok(error instanceof SecondFactorRequiredError);
            libraryToken = error.mfaToken;
          });
        } finally {
          await service.close();
        }
        for (const token of [await firstStep({ form }), pageToken, libraryToken]) {
          assert.deepEqual(await secondStep(token, "json"), { email, message: "logged in" });
        }
      },
    );
  });
}
