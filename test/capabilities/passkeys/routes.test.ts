import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { type RequestOptions, request, sessionCookieOf } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

const PASSWORD = "b4l0u-routes";

for (const factory of await testDatabases()) {
  describe(`passkey routes on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url, LOGIN_IP_MAX_FAILURES: "0" });
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    /** Registers and logs in by password: the session cookie. */
    async function signUp(email: string): Promise<string> {
      assert.equal(
        (await request(server.url, "POST", "/users", { form: { email, password: PASSWORD } }))
          .status,
        200,
      );
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: PASSWORD },
      });
      assert.equal(login.status, 200, login.text);
      return `session_id=${sessionCookieOf(login)}`;
    }

    function authenticatorFor(): SoftwareAuthenticator {
      // Development's default origin: http://localhost:<the port listened on>.
      return new SoftwareAuthenticator({ origin: `http://localhost:${server.port}` });
    }

    async function addPasskey(
      cookie: string,
      authenticator: SoftwareAuthenticator,
      name = "Laptop",
    ) {
      const options = await request(server.url, "POST", "/passkeys/registration/options", {
        cookie,
      });
      assert.equal(options.status, 200, options.text);
      const response = authenticator.register(
        options.body as PublicKeyCredentialCreationOptionsJSON,
      );
      const added = await request(server.url, "POST", "/passkeys/registration", {
        cookie,
        json: { response, name },
      });
      assert.equal(added.status, 200, added.text);
      return (added.body as { passkey: { id: string } }).passkey.id;
    }

    async function signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const options = await request(server.url, "POST", "/passkeys/authentication/options");
      assert.equal(options.status, 200, options.text);
      return options.body as PublicKeyCredentialRequestOptionsJSON;
    }

    test("add a passkey, list it, sign in with it and no password, then as the second step", {
      timeout: 120_000,
    }, async () => {
      const email = "routes-pk@example.com";
      const cookie = await signUp(email);
      const authenticator = authenticatorFor();
      const options = await request(server.url, "POST", "/passkeys/registration/options", {
        cookie,
        json: {},
      });
      assert.equal(options.status, 200, options.text);
      const creation = options.body as PublicKeyCredentialCreationOptionsJSON;
      assert.equal(creation.rp.id, "localhost");
      assert.equal(creation.user.name, email);
      assert.equal(creation.authenticatorSelection?.residentKey, "required");
      const id = await addPasskey(cookie, authenticator);

      const listed = await request(server.url, "GET", "/passkeys", { cookie });
      assert.equal(listed.status, 200);
      const [passkey] = (listed.body as { passkeys: Array<Record<string, unknown>> }).passkeys;
      assert.equal(passkey?.id, id);
      assert.equal(passkey?.name, "Laptop");
      assert.equal(passkey?.lastUsedAt, null);
      assert.match(String(passkey?.createdAt), /^\d{4}-\d\d-\d\dT/);
      const credentialId = authenticator.credentialIds[0] ?? "";
      assert.ok(!listed.text.includes(credentialId), "no credential id, no key material");
      const mfa = await request(server.url, "GET", "/mfa", { cookie });
      assert.deepEqual(mfa.body, { totp: false, recovery_codes_left: 0, passkeys: 1 });

      // Usernameless: empty allowCredentials, and the answer of a login.
      const request1 = await signInOptions();
      assert.deepEqual(request1.allowCredentials, []);
      const signedIn = await request(server.url, "POST", "/passkeys/authentication", {
        json: { response: authenticator.assert(request1) },
      });
      assert.equal(signedIn.status, 200, signedIn.text);
      assert.deepEqual(signedIn.body, { email, message: "logged in" });
      const fresh = `session_id=${sessionCookieOf(signedIn)}`;
      assert.deepEqual((await request(server.url, "GET", "/profile", { cookie: fresh })).body, {
        email,
      });

      // The passkey is a second factor now: the password alone answers mfa_required.
      const first = await request(server.url, "POST", "/sessions", {
        json: { email, password: PASSWORD },
      });
      assert.equal(first.status, 401);
      const { error, mfa_token: mfaToken } = first.body as { error: string; mfa_token: string };
      assert.equal(error, "mfa_required");
      const second = await request(server.url, "POST", "/sessions/mfa", {
        json: {
          mfa_token: mfaToken,
          code: authenticator.assert(await signInOptions(), { userVerified: false }),
        },
      });
      assert.equal(second.status, 200, second.text);
      assert.equal((second.body as { email: string }).email, email);
      // And through the passkey route, with the mfa_token.
      const again = await request(server.url, "POST", "/sessions", {
        form: { email, password: PASSWORD },
      });
      const token = (again.body as { mfa_token: string }).mfa_token;
      const viaPasskeys = await request(server.url, "POST", "/passkeys/authentication", {
        json: { response: authenticator.assert(await signInOptions()), mfa_token: token },
      });
      assert.deepEqual(viaPasskeys.body, { email, message: "logged in" });

      // Rename, then remove (a session this fresh needs the password only): the last factor, said so.
      const renamed = await request(server.url, "PUT", `/passkeys/${id}`, {
        cookie,
        json: { name: "Work laptop" },
      });
      assert.equal((renamed.body as { passkey: { name: string } }).passkey.name, "Work laptop");
      const wrong = await request(server.url, "DELETE", `/passkeys/${id}`, {
        cookie,
        json: { password: "nope-nope" },
      });
      assert.equal(wrong.status, 403);
      const removed = await request(server.url, "DELETE", `/passkeys/${id}`, {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(removed.status, 200, removed.text);
      assert.equal((removed.body as { second_factor: boolean }).second_factor, false);
      assert.match((removed.body as { message: string }).message, /last second factor/);
      const gone = await request(server.url, "DELETE", `/passkeys/${id}`, {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(gone.status, 404);
      assert.equal(
        (await request(server.url, "POST", "/sessions", { form: { email, password: PASSWORD } }))
          .status,
        200,
      );
    });

    test("refused answers: 401 and no cookie (replayed, other origin, other RP ID, unknown passkey, no user verification)", {
      timeout: 120_000,
    }, async () => {
      const cookie = await signUp("routes-refused@example.com");
      const authenticator = authenticatorFor();
      await addPasskey(cookie, authenticator);
      const good = authenticator.assert(await signInOptions());
      assert.equal(
        (
          await request(server.url, "POST", "/passkeys/authentication", {
            json: { response: good },
          })
        ).status,
        200,
      );
      const stranger = authenticatorFor();
      await addPasskey(await signUp("routes-other@example.com"), stranger);
      const cases = {
        replayed: good,
        "other origin": authenticator.assert(await signInOptions(), {
          origin: "https://localhost.evil",
        }),
        "other RP ID": authenticator.assert(await signInOptions(), { rpId: "evil.example" }),
        "unknown passkey": {
          ...authenticator.assert(await signInOptions()),
          id: "AAAA",
          rawId: "AAAA",
        },
        "no user verification": authenticator.assert(await signInOptions(), {
          userVerified: false,
        }),
      };
      for (const [name, response] of Object.entries(cases)) {
        const answer = await request(server.url, "POST", "/passkeys/authentication", {
          json: { response },
        });
        assert.equal(answer.status, 401, `${name}: ${answer.text}`);
        assert.equal(sessionCookieOf(answer), undefined, name);
        const { error } = answer.body as { error: string };
        assert.equal(
          error,
          name === "no user verification" ? "user_verification_required" : "invalid_passkey",
          name,
        );
      }
      // Someone else's session cannot rename or remove it.
      const [id] = (
        (await request(server.url, "GET", "/passkeys", { cookie })).body as {
          passkeys: Array<{ id: string }>;
        }
      ).passkeys.map((p) => p.id);
      const otherCookie = await signUp("routes-third@example.com");
      assert.equal(
        (
          await request(server.url, "PUT", `/passkeys/${id}`, {
            cookie: otherCookie,
            json: { name: "x" },
          })
        ).status,
        404,
      );
      assert.equal(
        (
          await request(server.url, "DELETE", `/passkeys/${id}`, {
            cookie: otherCookie,
            json: { password: PASSWORD },
          })
        ).status,
        404,
      );
    });

    test("a passkey is the current second factor of a sensitive change (the code of POST /mfa/recovery-codes)", {
      timeout: 120_000,
    }, async () => {
      const cookie = await signUp("routes-reauth@example.com");
      const authenticator = authenticatorFor();
      await addPasskey(cookie, authenticator);
      // No TOTP on: the factor check passes, and the answer says nothing is on to turn off.
      const alone = await request(server.url, "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(alone.status, 403, alone.text);
      assert.equal((alone.body as { error: string }).error, "mfa_required");
      const options = await request(server.url, "POST", "/passkeys/reauthentication/options", {
        cookie,
      });
      assert.equal(options.status, 200);
      const bound = options.body as PublicKeyCredentialRequestOptionsJSON;
      assert.deepEqual(
        bound.allowCredentials?.map((c) => c.id),
        authenticator.credentialIds,
      );
      const withPasskey = await request(server.url, "POST", "/mfa/recovery-codes", {
        cookie,
        json: { password: PASSWORD, code: authenticator.assert(bound) },
      });
      // Past the factor check: no TOTP, so no recovery codes to renew (409), nothing else.
      assert.equal(withPasskey.status, 409, withPasskey.text);
      assert.equal((withPasskey.body as { error: string }).error, "mfa_not_enabled");
    });

    test("bad input on every passkey route: 4xx JSON, never 500", {
      timeout: 120_000,
    }, async () => {
      const cookie = await signUp("routes-bad@example.com");
      const junk: unknown[] = [
        null,
        42,
        "not json",
        "{broken",
        [],
        {},
        { id: 1 },
        { id: "AAAA", response: "x" },
        { id: "AAAA", rawId: "BBBB", type: "public-key", response: {} },
        {
          id: "AAAA",
          type: "public-key",
          response: { clientDataJSON: "%%%", authenticatorData: "x".repeat(60), signature: "AA" },
        },
        {
          id: "AAAA",
          type: "public-key",
          response: {
            clientDataJSON: "e30",
            authenticatorData: "AAAA".repeat(20),
            signature: "AA",
            userHandle: 5,
          },
        },
        {
          id: "AAAA",
          type: "public-key",
          response: {
            clientDataJSON: "e30",
            attestationObject: "AAAA",
            transports: [1, "x".repeat(99)],
          },
        },
        { id: "a".repeat(5000), response: { clientDataJSON: "a".repeat(9000) } },
        { __proto__: { id: "x" }, constructor: "x" },
      ];
      const routes: Array<[string, string, (value: unknown) => unknown]> = [
        ["POST", "/passkeys/registration", (response) => ({ response })],
        ["POST", "/passkeys/authentication", (response) => ({ response })],
        ["POST", "/passkeys/authentication", (response) => ({ response, mfa_token: "tok" })],
        ["POST", "/sessions/mfa", (code) => ({ mfa_token: "tok", code })],
        ["DELETE", "/mfa/totp", (code) => ({ password: PASSWORD, code })],
        ["DELETE", "/passkeys/abc", (code) => ({ password: PASSWORD, code })],
        ["PUT", "/passkeys/abc", (name) => ({ name })],
        ["POST", "/passkeys/registration/options", (password) => ({ password })],
        ["POST", "/passkeys/authentication/options", (value) => ({ extra: value })],
        ["POST", "/passkeys/reauthentication/options", (value) => value],
      ];
      for (const [method, path, bodyOf] of routes) {
        for (const value of junk) {
          for (const options of [
            { json: bodyOf(value) },
            { form: { field: JSON.stringify(value) } },
            { raw: JSON.stringify(bodyOf(value)).slice(0, -1), contentType: "application/json" },
            { raw: "x", contentType: "text/plain" },
          ]) {
            const answer = await request(server.url, method, path, { cookie, ...options });
            const where = `${method} ${path} ${JSON.stringify(options).slice(0, 120)}`;
            assert.ok(answer.status < 500, `${where}: ${answer.status} ${answer.text}`);
            if (answer.status >= 400) {
              assert.match(answer.headers.get("content-type") ?? "", /^application\/json/, where);
              assert.equal(typeof (answer.body as { message?: unknown }).message, "string", where);
            }
          }
        }
      }
      for (const path of [
        "/passkeys/%00",
        `/passkeys/${"x".repeat(300)}`,
        "/passkeys/a%2Fb",
        "/passkeys/%ED%A0%80",
      ]) {
        for (const method of ["PUT", "DELETE"]) {
          const answer = await request(server.url, method, path, {
            cookie,
            json: { name: "x", password: PASSWORD },
          });
          assert.ok(
            answer.status >= 400 && answer.status < 500,
            `${method} ${path}: ${answer.status}`,
          );
        }
      }
      // The pages' form posts: never a 500, whatever the fields or the id.
      for (const path of [
        "/account/passkeys/abc/rename",
        "/account/passkeys/abc/remove",
        "/account/passkeys/%00/remove",
      ]) {
        const postings: RequestOptions[] = [
          { form: { name: "\u0000" } },
          { form: { password: "x".repeat(2000) } },
          { json: { code: { id: 1 } } },
          { raw: "x", contentType: "text/plain" },
          {},
        ];
        for (const options of postings) {
          for (const withCookie of [cookie, undefined]) {
            const answer = await request(server.url, "POST", path, {
              cookie: withCookie,
              ...options,
            });
            assert.ok(
              answer.status < 500,
              `POST ${path}: ${answer.status} ${answer.text.slice(0, 200)}`,
            );
          }
        }
      }
      // Without a session, the signed-in routes refuse as every other.
      for (const [method, path] of [
        ["GET", "/passkeys"],
        ["POST", "/passkeys/registration/options"],
        ["POST", "/passkeys/reauthentication/options"],
      ]) {
        assert.equal((await request(server.url, method ?? "GET", path ?? "/")).status, 403, path);
      }
      assert.equal((await request(server.url, "PATCH", "/passkeys")).status, 405);
    });
  });
}
