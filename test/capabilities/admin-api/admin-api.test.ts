import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { createLogger } from "../../../src/platform/http/logger.js";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

const PASSKEY_ORIGIN = "http://localhost:5999";

interface UserView {
  id: number;
  email: string;
  createdAt: string;
  sessions: number;
}

for (const factory of await testDatabases()) {
  describe(`the admin API on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    const logLines: string[] = [];
    const keys: Record<string, string> = {};
    // The service's clock: a key expires when the test moves it, not after a sleep.
    const clock = manualClock(Date.now());

    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      const sink = new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      });
      server = await startTestApp(
        // Passkeys are made by a software authenticator on this origin (the app is not listening).
        { DATABASE_URL: database.url, LOG_LEVEL: "trace", WEBAUTHN_ORIGINS: PASSKEY_ORIGIN },
        { logger: createLogger("trace", sink), now: clock.now },
      );
      const make = async (name: string, scopes: string[], expiresAt?: Date) => {
        keys[name] = (await server.service.apiKeys.create({ name, scopes, expiresAt })).key;
      };
      await make("reader", ["users:read"]);
      await make("writer", ["users:read", "users:write"]);
      await make("auditor", ["audit:read"]);
      await make("revoked", ["users:read"]);
      await make("expiring", ["users:read"], new Date(clock.now().getTime() + 1500));
      assert.equal(await server.service.apiKeys.revoke("revoked"), true);
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });

    const call = (
      method: string,
      path: string,
      key: string | undefined,
      options: { json?: unknown; cookie?: string } = {},
    ) =>
      request(server.url, method, path, {
        ...options,
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      });

    test("keys: recognisable prefix, 256 bits, only a hash stored, never listed", async () => {
      const key = keys.reader ?? "";
      assert.match(key, /^authsvc_[A-Za-z0-9_-]{43}$/);
      const listed = JSON.stringify(await server.service.apiKeys.list());
      assert.ok(!listed.includes(key.slice(8)), "the list never holds the key");
      assert.match(listed, /"displayPrefix":"authsvc_/);
    });

    test("no key, a session cookie, an unknown, revoked or expired key: 401; wrong scope: 403", async () => {
      const none = await call("GET", "/admin/users", undefined);
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm=/);

      const form = { email: "cookie-holder@example.com", password: "b4l0u" };
      await request(server.url, "POST", "/users", { form });
      const login = await request(server.url, "POST", "/sessions", { form });
      const token = sessionCookieOf(login) ?? "";
      const cookie = await call("GET", "/admin/users", undefined, {
        cookie: `session_id=${token}`,
      });
      assert.equal(cookie.status, 401, "a session never opens the admin API");
      assert.equal((await call("GET", "/admin/users", token)).status, 401, "nor a session token");

      for (const key of ["authsvc_unknown", keys.revoked]) {
        const r = await call("GET", "/admin/users", key);
        assert.equal(r.status, 401);
        assert.match(r.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
      }
      assert.equal((await call("GET", "/admin/users", keys.expiring)).status, 200, "not yet");
      clock.advance(1600);
      assert.equal((await call("GET", "/admin/users", keys.expiring)).status, 401, "expired");

      const wrongScope = await call("POST", "/admin/users", keys.reader, {
        json: { email: "nope@example.com", password: "b4l0u" },
      });
      assert.equal(wrongScope.status, 403);
      assert.equal((wrongScope.body as { error: string }).error, "insufficient_scope");
      assert.equal((await call("GET", "/admin/audit", keys.writer)).status, 403);
    });

    test("create, show, list page by page, end sessions, delete; 409 and 404", async () => {
      const emails = ["a1", "a2", "a3", "a4", "a5"].map((name) => `${name}@admin.example`);
      const created: UserView[] = [];
      for (const email of emails) {
        const r = await call("POST", "/admin/users", keys.writer, {
          json: { email, password: "b4l0u" },
        });
        assert.equal(r.status, 201, r.text);
        created.push(r.body as UserView);
      }
      assert.equal((created[0] as UserView).email, "a1@admin.example");
      assert.ok(!JSON.stringify(created).includes("$2"), "never a hash");
      const taken = await call("POST", "/admin/users", keys.writer, {
        json: { email: "A1@admin.example", password: "b4l0u" },
      });
      assert.equal(taken.status, 409);
      assert.equal((taken.body as { error: string }).error, "email_taken");
      const refused = await call("POST", "/admin/users", keys.writer, {
        json: { email: "short@admin.example", password: "abc" },
      });
      assert.equal(refused.status, 400);

      // Every user, two at a time, from the first created on.
      const firstId = (created[0] as UserView).id;
      const seen: string[] = [];
      let cursor: string | null = String(firstId - 1);
      let pages = 0;
      while (cursor !== null) {
        const r = await call("GET", `/admin/users?limit=2&after=${cursor}`, keys.reader);
        assert.equal(r.status, 200);
        const page = r.body as { users: UserView[]; next: string | null };
        seen.push(...page.users.map((user) => user.email));
        cursor = page.next;
        pages++;
      }
      assert.deepEqual(seen, emails);
      assert.equal(pages, 3);
      const byEmail = await call("GET", "/admin/users?email=a3%40admin.example", keys.reader);
      assert.deepEqual(
        (byEmail.body as { users: UserView[] }).users.map((user) => user.email),
        ["a3@admin.example"],
      );

      const target = created[1] as UserView;
      const form = { email: target.email, password: "b4l0u" };
      await request(server.url, "POST", "/sessions", { form });
      await request(server.url, "POST", "/sessions", { form });
      const shown = await call("GET", `/admin/users/${target.id}`, keys.reader);
      assert.equal(shown.status, 200);
      assert.equal((shown.body as UserView).sessions, 2);
      // Never verified (development, EMAIL_VERIFICATION off): shown as null, not left out.
      assert.equal((shown.body as { emailVerifiedAt?: unknown }).emailVerifiedAt, null);
      const ended = await call("DELETE", `/admin/users/${target.id}/sessions`, keys.writer);
      assert.deepEqual(ended.body, { ended: 2 });
      assert.equal((await call("DELETE", `/admin/users/${target.id}`, keys.writer)).status, 204);
      assert.equal((await call("GET", `/admin/users/${target.id}`, keys.reader)).status, 404);
      assert.equal((await call("DELETE", `/admin/users/${target.id}`, keys.writer)).status, 404);
      assert.equal((await call("DELETE", "/admin/users/999999/sessions", keys.writer)).status, 404);
      assert.equal((await call("GET", "/admin/users/not-a-number", keys.reader)).status, 400);
      assert.equal((await call("GET", "/admin/users?limit=0", keys.reader)).status, 400);

      await server.service.audit.flush();
      const trail = await call(
        "GET",
        `/admin/audit?email=${encodeURIComponent(target.email)}`,
        keys.auditor,
      );
      assert.equal(trail.status, 200);
      const events = (
        trail.body as { events: Array<{ event: string; userAgent: string; at: string }> }
      ).events;
      const byKey = events.filter((event) => event.userAgent === "api-key writer");
      assert.deepEqual(
        byKey.map((event) => event.event),
        ["register", "sessions_revoked", "user_deleted"],
        "every change names the key",
      );
      const times = events.map((event) => Date.parse(event.at));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        "oldest first",
      );
    });

    test("a user's second factors, passkeys included; an operator takes them all off", async () => {
      const email = "lost-devices@admin.example";
      const form = { email, password: "b4l0u" };
      assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
      const login = await request(server.url, "POST", "/sessions", { form });
      const cookie = `session_id=${sessionCookieOf(login)}`;
      const authenticator = new SoftwareAuthenticator({ origin: PASSKEY_ORIGIN });
      for (const name of ["Laptop", "Phone"]) {
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
      }
      const id = (
        (await call("GET", `/admin/users?email=${encodeURIComponent(email)}`, keys.reader))
          .body as { users: UserView[] }
      ).users[0]?.id;
      assert.ok(id);
      const shown = await call("GET", `/admin/users/${id}`, keys.reader);
      assert.equal(shown.status, 200);
      assert.deepEqual((shown.body as { secondFactor: unknown }).secondFactor, {
        on: true,
        totp: false,
        recoveryCodesLeft: 0,
        passkeys: 2,
      });
      assert.doesNotMatch(shown.text, /publicKey|credential/i, "never key material");

      const path = `/admin/users/${id}/second-factors`;
      assert.equal((await call("DELETE", path, keys.reader)).status, 403, "users:write only");
      const reset = await call("DELETE", path, keys.writer);
      assert.equal(reset.status, 200, reset.text);
      assert.deepEqual(reset.body, { removed: true });
      assert.deepEqual((await call("DELETE", path, keys.writer)).body, { removed: false });
      assert.equal(
        (await call("DELETE", "/admin/users/999999/second-factors", keys.writer)).status,
        404,
      );
      assert.equal(
        (await call("DELETE", "/admin/users/x/second-factors", keys.writer)).status,
        400,
      );
      const after = await call("GET", `/admin/users/${id}`, keys.reader);
      assert.deepEqual((after.body as { secondFactor: unknown }).secondFactor, {
        on: false,
        totp: false,
        recoveryCodesLeft: 0,
        passkeys: 0,
      });

      // The passkeys no longer sign in; the password alone does.
      const options = await request(server.url, "POST", "/passkeys/authentication/options");
      const assertion = authenticator.assert(options.body as PublicKeyCredentialRequestOptionsJSON);
      const refused = await request(server.url, "POST", "/passkeys/authentication", {
        json: { response: assertion },
      });
      assert.equal(refused.status, 401, refused.text);
      assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);

      await server.service.audit.flush();
      const trail = await call(
        "GET",
        `/admin/audit?email=${encodeURIComponent(email)}`,
        keys.auditor,
      );
      const byKey = (trail.body as { events: Array<{ event: string; userAgent: string }> }).events
        .filter((event) => event.userAgent === "api-key writer")
        .map((event) => event.event);
      assert.deepEqual(byKey, ["passkey_removed", "passkey_removed"], "one row per passkey");
    });

    test("keys never reach the logs or the database in clear", async () => {
      await call("GET", "/admin/users", keys.reader);
      const logged = logLines.join("");
      for (const key of Object.values(keys)) assert.ok(!logged.includes(key), "no key in the logs");
      if (!database.url.startsWith("sqlite:")) return;
      await server.service.audit.flush();
      const path = database.url.slice("sqlite:".length);
      const bytes = [path, `${path}-wal`]
        .map((file) => {
          try {
            return readFileSync(file).toString("latin1");
          } catch {
            return "";
          }
        })
        .join("");
      for (const key of Object.values(keys)) {
        assert.ok(!bytes.includes(key.slice(8)), "no key in the database file");
      }
    });
  });
}
