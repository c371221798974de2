import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

// An account whose only second factor is a passkey deletes itself with it:
// DELETE /profile takes a passkey assertion as its `code`, as every other
// sensitive change does.

const PASSWORD = "b4l0u-delete";

for (const factory of await testDatabases()) {
  describe(`deleting an account with a passkey as its second factor, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    test("the export lists the passkey; deleting takes more than the password, and a passkey's answer does it", {
      timeout: 120_000,
    }, async () => {
      const email = "delete-passkey@example.com";
      const form = { email, password: PASSWORD };
      assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
      const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
      const authenticator = new SoftwareAuthenticator({
        origin: `http://localhost:${server.port}`,
      });
      const options = await request(server.url, "POST", "/passkeys/registration/options", {
        cookie,
      });
      const response = authenticator.register(
        options.body as PublicKeyCredentialCreationOptionsJSON,
      );
      const added = await request(server.url, "POST", "/passkeys/registration", {
        cookie,
        json: { response, name: "Phone" },
      });
      assert.equal(added.status, 200, added.text);

      // The export lists it, without anything secret or that identifies the key.
      const exported = await request(server.url, "GET", "/profile/export", { cookie });
      assert.equal(exported.status, 200, exported.text);
      const listed = (exported.body as { passkeys?: Array<Record<string, unknown>> }).passkeys;
      assert.equal(listed?.length, 1, exported.text);
      assert.equal(listed?.[0]?.name, "Phone");
      assert.doesNotMatch(exported.text, /public_?key|counter|credential/i);

      const alone = await request(server.url, "DELETE", "/profile", {
        cookie,
        json: { password: PASSWORD },
      });
      assert.equal(alone.status, 403, alone.text);
      assert.equal((alone.body as { error: string }).error, "mfa_required");

      const bound = await request(server.url, "POST", "/passkeys/reauthentication/options", {
        cookie,
      });
      assert.equal(bound.status, 200, bound.text);
      const code = authenticator.assert(bound.body as PublicKeyCredentialRequestOptionsJSON);
      const deleted = await request(server.url, "DELETE", "/profile", {
        cookie,
        json: { password: PASSWORD, code },
      });
      assert.equal(deleted.status, 200, deleted.text);
      assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 403);
      const again = await request(server.url, "POST", "/sessions", { form });
      assert.notEqual(again.status, 200);
    });
  });
}
