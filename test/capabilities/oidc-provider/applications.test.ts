import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Kysely } from "kysely";
import * as client from "openid-client";
import type { OidcDb } from "../../../src/capabilities/oidc-provider/index.js";
import { connect } from "../../../src/platform/db/connect.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  startWebhookReceiver,
  type WebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";
import {
  type CookieJar,
  codeFlowStart,
  discover,
  followWithConsent,
  oauthError,
  REDIRECT,
  serviceLogin,
} from "./helpers.js";

const T = { timeout: 120_000 };
const PASSWORD = "a strong passphrase";

interface ApplicationView {
  client_id: string;
  name: string;
  scopes: string[];
  granted_at: string;
}

for (const factory of await testDatabases()) {
  describe(`applications with access, and deleted accounts' provider rows, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let receiver: WebhookReceiver;
    let rows: { db: OidcDb; destroy(): Promise<void> };
    let base = "";
    let adminKey = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      receiver = await startWebhookReceiver();
      server = await startTestServer({ DATABASE_URL: database.url, WEBHOOK_RETRY_BASE: "200ms" });
      base = `http://localhost:${server.port}`;
      await server.service.webhooks.add(receiver.url, ["oauth.token.revoked"]);
      adminKey = (await server.service.apiKeys.create({ name: "users", scopes: ["users:write"] }))
        .key;
      const { db } = connect({ url: database.url });
      rows = { db: db as unknown as OidcDb, destroy: () => db.destroy() };
    });
    after(async () => {
      try {
        await rows?.destroy();
        await server?.close();
        await receiver?.close();
      } finally {
        await database?.drop();
      }
    });

    /** A user registered and signed in (the jar is their browser) with a third party's tokens, by consent. */
    const userWithApp = async (name = "Photo Printer") => {
      const email = `app-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
      const registered = await request(server.url, "POST", "/users", {
        form: { email, password: PASSWORD },
      });
      assert.equal(registered.status, 200);
      const jar: CookieJar = new Map();
      await serviceLogin(base, jar, email, PASSWORD);
      const made = await server.service.oidc.clients.create({ name, redirectUris: [REDIRECT] });
      const config = await discover(server, made.clientId, made.clientSecret);
      const flow = await codeFlowStart(config);
      const landed = await followWithConsent(flow.url, jar);
      assert.equal(landed.origin, "http://rp.test", `at ${landed}`);
      const tokens = await client.authorizationCodeGrant(config, landed, flow.checks);
      assert.ok(tokens.refresh_token);
      const sub = tokens.claims()?.sub ?? "";
      return {
        email,
        jar,
        cookie: `session_id=${jar.get("session_id")}`,
        clientId: made.clientId,
        config,
        tokens,
        sub,
      };
    };
    const rowsOf = async (sub: string) =>
      (
        await rows.db
          .selectFrom("oidc_payloads")
          .select("model")
          .where("account_id", "=", sub)
          .execute()
      ).length;
    const active = async (config: client.Configuration, token: string) =>
      (await client.tokenIntrospection(config, token)).active;

    test(
      "listed in JSON and on /account; removed: tokens dead, list empty, event reported",
      T,
      async () => {
        const user = await userWithApp();
        const listed = await request(server.url, "GET", "/profile/applications", {
          cookie: user.cookie,
        });
        assert.equal(listed.status, 200, listed.text);
        const [app, ...more] = (listed.body as { applications: ApplicationView[] }).applications;
        assert.equal(more.length, 0);
        assert.equal(app?.client_id, user.clientId);
        assert.equal(app?.name, "Photo Printer");
        assert.deepEqual(app?.scopes, ["openid", "email", "offline_access"]);
        assert.ok(Math.abs(Date.parse(app?.granted_at ?? "") - Date.now()) < 60_000);
        assert.doesNotMatch(listed.text, /token|secret/i);

        const page = await request(server.url, "GET", "/account", { cookie: user.cookie });
        assert.match(page.text, /Applications with access/);
        assert.match(page.text, /Photo Printer/);
        assert.match(page.text, /Your email address/);
        assert.match(
          page.text,
          new RegExp(`action="/account/applications/${user.clientId}/remove"`),
        );

        const exported = await request(server.url, "GET", "/profile/export", {
          cookie: user.cookie,
        });
        assert.equal(exported.status, 200, exported.text);
        assert.match(exported.text, /"oauth_applications"/);
        assert.ok(!exported.text.includes(user.tokens.access_token), "never a token");
        assert.ok(!exported.text.includes(user.tokens.refresh_token ?? "-"), "never a token");

        assert.equal(await active(user.config, user.tokens.access_token), true);
        const removed = await request(
          server.url,
          "DELETE",
          `/profile/applications/${user.clientId}`,
          { cookie: user.cookie },
        );
        assert.equal(removed.status, 200, removed.text);
        await assert.rejects(
          client.refreshTokenGrant(user.config, user.tokens.refresh_token ?? ""),
          oauthError("invalid_grant"),
        );
        assert.equal(await active(user.config, user.tokens.access_token), false);
        const empty = await request(server.url, "GET", "/profile/applications", {
          cookie: user.cookie,
        });
        assert.deepEqual(empty.body, { applications: [] });
        const again = await request(
          server.url,
          "DELETE",
          `/profile/applications/${user.clientId}`,
          { cookie: user.cookie },
        );
        assert.equal(again.status, 404);
        await waitFor(
          () => receiver.received.some((hook) => hook.body.includes('"user_revoked"')),
          "the oauth.token.revoked webhook",
        );
        await server.service.audit.flush();
        const audited = await server.service.audit.list({});
        assert.ok(
          audited.some(
            (row) => row.event === "oauth_token_revoked" && row.outcome.includes("user_revoked"),
          ),
          "an audit row",
        );
      },
    );

    test("the account page's Remove access form removes it", T, async () => {
      const user = await userWithApp("Calendar");
      const answer = await fetch(`${base}/account/applications/${user.clientId}/remove`, {
        method: "POST",
        headers: {
          cookie: user.cookie,
          origin: base,
          "sec-fetch-site": "same-origin",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "",
      });
      const text = await answer.text();
      assert.equal(answer.status, 200, text);
      assert.match(text, /access is removed/);
      assert.match(text, /No application has access/);
      assert.equal(await active(user.config, user.tokens.access_token), false);
      // From another site: refused by the cross-site guard.
      const other = await userWithApp("Other");
      const forged = await fetch(`${base}/account/applications/${other.clientId}/remove`, {
        method: "POST",
        headers: {
          cookie: other.cookie,
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "",
      });
      await forged.body?.cancel();
      assert.equal(forged.status, 403);
      assert.equal(await active(other.config, other.tokens.access_token), true);
    });

    test("another user's client, bad ids and no session are 4xx", T, async () => {
      const owner = await userWithApp();
      const stranger = await userWithApp("Stranger's");
      const theirs = await request(
        server.url,
        "DELETE",
        `/profile/applications/${owner.clientId}`,
        { cookie: stranger.cookie },
      );
      assert.equal(theirs.status, 404);
      assert.equal(await active(owner.config, owner.tokens.access_token), true);
      for (const id of ["a%20b", "x".repeat(65), "%00", "..%2F..", "a.b"]) {
        const bad = await request(server.url, "DELETE", `/profile/applications/${id}`, {
          cookie: owner.cookie,
        });
        assert.ok(bad.status >= 400 && bad.status < 500, `${id}: ${bad.status}`);
        const form = await request(server.url, "POST", `/account/applications/${id}/remove`, {
          cookie: owner.cookie,
          form: {},
        });
        assert.ok(form.status >= 400 && form.status < 500, `${id} (form): ${form.status}`);
      }
      assert.equal((await request(server.url, "GET", "/profile/applications")).status, 403);
      assert.equal(
        (await request(server.url, "DELETE", `/profile/applications/${owner.clientId}`)).status,
        403,
      );
      const signedOut = await request(
        server.url,
        "POST",
        `/account/applications/${owner.clientId}/remove`,
        { form: {} },
      );
      assert.equal(signedOut.status, 303);
      assert.equal(await active(owner.config, owner.tokens.access_token), true);
    });

    test(
      "deleting the account (own, admin, command) leaves none of its provider rows",
      T,
      async () => {
        const own = await userWithApp();
        assert.ok((await rowsOf(own.sub)) > 0);
        const deleted = await request(server.url, "DELETE", "/profile", {
          cookie: own.cookie,
          json: { password: PASSWORD },
        });
        assert.equal(deleted.status, 200, deleted.text);
        assert.equal(await rowsOf(own.sub), 0);
        assert.equal(await active(own.config, own.tokens.access_token), false);

        const byAdmin = await userWithApp();
        const id = await idOf(byAdmin.email);
        const gone = await request(server.url, "DELETE", `/admin/users/${id}`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        assert.equal(gone.status, 204, gone.text);
        assert.equal(await rowsOf(byAdmin.sub), 0);
        assert.equal(await active(byAdmin.config, byAdmin.tokens.access_token), false);

        // `auth-service user delete` runs Auth.deleteUser, as the admin API does.
        const byCommand = await userWithApp();
        assert.equal(await server.service.auth.deleteUser(byCommand.email), true);
        assert.equal(await rowsOf(byCommand.sub), 0);
        assert.equal(await active(byCommand.config, byCommand.tokens.access_token), false);
      },
    );

    const idOf = async (email: string): Promise<number> => {
      const row = await (rows.db as unknown as Kysely<{ users: { id: number; email: string } }>)
        .selectFrom("users")
        .select("id")
        .where("email", "=", email)
        .executeTakeFirstOrThrow();
      return Number(row.id);
    };
  });
}
