import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import {
  startWebhookReceiver,
  type WebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";
import { discover } from "./helpers.js";

const T = { timeout: 120_000 };

interface ClientView {
  client_id: string;
  client_secret?: string;
  name: string;
  grant_types: string[];
  id_token_signed_response_alg: string;
}

for (const factory of await testDatabases()) {
  describe(`/admin/clients and the provider's events on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let receiver: WebhookReceiver;
    const keys: Record<string, string> = {};
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      receiver = await startWebhookReceiver();
      server = await startTestServer({ DATABASE_URL: database.url, WEBHOOK_RETRY_BASE: "200ms" });
      for (const [name, scopes] of [
        ["clients", ["clients:write"]],
        ["users", ["users:read", "users:write", "audit:read"]],
      ] as const)
        keys[name] = (await server.service.apiKeys.create({ name, scopes: [...scopes] })).key;
      await server.service.webhooks.add(receiver.url, ["oauth.token.revoked"]);
    });
    after(async () => {
      try {
        await server?.close();
        await receiver?.close();
      } finally {
        await database?.drop();
      }
    });
    const call = (method: string, path: string, key: string | undefined, json?: unknown) =>
      request(server.url, method, path, {
        json,
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      });

    test("no key 401; a key without clients:write 403 insufficient_scope", T, async () => {
      assert.equal((await call("GET", "/admin/clients", undefined)).status, 401);
      for (const [method, path, body] of [
        ["GET", "/admin/clients", undefined],
        ["POST", "/admin/clients", { name: "x", grants: ["client_credentials"] }],
        ["DELETE", "/admin/clients/abc", undefined],
      ] as const) {
        const refused = await call(method, path, keys.users, body);
        assert.equal(refused.status, 403, `${method} ${path}`);
        assert.deepEqual((refused.body as { error: string }).error, "insufficient_scope");
      }
      assert.equal((await server.service.oidc.clients.list()).length, 0, "nothing made");
    });

    test(
      "create (secret once), list, a client_credentials grant works, revocation is an event, delete",
      T,
      async () => {
        const made = await call("POST", "/admin/clients", keys.clients, {
          name: "Billing job",
          grants: ["client_credentials"],
        });
        assert.equal(made.status, 201);
        const created = made.body as ClientView;
        assert.match(created.client_secret ?? "", /^[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(created.grant_types, ["client_credentials"]);
        const listed = await call("GET", "/admin/clients", keys.clients);
        assert.equal(listed.status, 200);
        const clients = (listed.body as { clients: ClientView[] }).clients;
        assert.deepEqual(
          clients.map((c) => c.client_id),
          [created.client_id],
        );
        assert.ok(!JSON.stringify(listed.body).includes(created.client_secret ?? "-"), "no secret");

        const config = await discover(server, created.client_id, created.client_secret);
        const tokens = await client.clientCredentialsGrant(config, {});
        assert.ok(tokens.access_token);
        const wrong = await discover(server, created.client_id, "not-the-secret");
        await assert.rejects(client.clientCredentialsGrant(wrong, {}));
        await client.tokenRevocation(config, tokens.access_token);
        await waitFor(
          () => receiver.received.some((hook) => hook.body.includes('"oauth.token.revoked"')),
          "the revocation's webhook",
        );
        const hook = JSON.parse(
          receiver.received.find((h) => h.body.includes("oauth.token.revoked"))?.body ?? "{}",
        );
        assert.equal(hook.data.reason, "revocation");
        assert.equal(hook.data.client_id, created.client_id);
        assert.ok(!JSON.stringify(hook).includes(tokens.access_token), "never the token");

        const metrics = String((await request(server.url, "GET", "/metrics")).body);
        assert.match(
          metrics,
          /auth_oidc_tokens_issued_total\{grant_type="client_credentials"\} 1\b/,
        );
        assert.match(metrics, /auth_oidc_errors_total\{kind="grant",error="invalid_client"\} 1\b/);
        assert.match(metrics, /auth_oidc_events_total\{event="token_revoked_revocation"\} 1\b/);
        assert.match(metrics, /auth_oidc_events_total\{event="client_created"\} 1\b/);

        const gone = await call("DELETE", `/admin/clients/${created.client_id}`, keys.clients);
        assert.equal(gone.status, 204);
        await assert.rejects(client.clientCredentialsGrant(config, {}));
        const again = await call("DELETE", `/admin/clients/${created.client_id}`, keys.clients);
        assert.equal(again.status, 404);

        await server.service.audit.flush();
        const rows = await server.service.audit.list({});
        const created_ = rows.find((row) => row.event === "oauth_client_created");
        assert.equal(created_?.userAgent, "api-key clients");
        assert.equal(created_?.outcome, `client ${created.client_id}`);
        assert.ok(rows.some((row) => row.event === "oauth_client_deleted"));
        assert.ok(rows.some((row) => row.event === "oauth_token_revoked"));
        // A client's own grants are counted, not written.
        assert.ok(!rows.some((row) => row.event === "oauth_grant_issued"));
      },
    );

    test(
      "id_token_signed_response_alg: ES256 is kept and shown, RS256 without it, HS256 a 400",
      T,
      async () => {
        const es = await call("POST", "/admin/clients", keys.clients, {
          name: "ES app",
          redirect_uris: ["https://app.example/cb"],
          id_token_signed_response_alg: "ES256",
        });
        assert.equal(es.status, 201);
        const plain = await call("POST", "/admin/clients", keys.clients, {
          name: "Plain app",
          redirect_uris: ["https://app.example/cb"],
        });
        assert.equal(plain.status, 201);
        assert.equal((es.body as ClientView).id_token_signed_response_alg, "ES256");
        assert.equal((plain.body as ClientView).id_token_signed_response_alg, "RS256");
        const listed = (await call("GET", "/admin/clients", keys.clients)).body as {
          clients: ClientView[];
        };
        const algOf = (id: string) =>
          listed.clients.find((c) => c.client_id === id)?.id_token_signed_response_alg;
        assert.equal(algOf((es.body as ClientView).client_id), "ES256");
        assert.equal(algOf((plain.body as ClientView).client_id), "RS256");

        const count = listed.clients.length;
        const refused = await call("POST", "/admin/clients", keys.clients, {
          name: "HS app",
          redirect_uris: ["https://app.example/cb"],
          id_token_signed_response_alg: "HS256",
        });
        assert.equal(refused.status, 400);
        assert.equal((refused.body as { error: string }).error, "invalid_body");
        assert.equal((await server.service.oidc.clients.list()).length, count, "nothing made");
        for (const made of [es, plain])
          await call(
            "DELETE",
            `/admin/clients/${(made.body as ClientView).client_id}`,
            keys.clients,
          );
      },
    );

    test("bad input: 4xx JSON, never 500, nothing made", T, async () => {
      const before_ = (await server.service.oidc.clients.list()).length;
      const bodies: unknown[] = [
        {},
        { name: "" },
        { name: "x" },
        { name: 42, grants: ["client_credentials"] },
        { name: "x", grants: ["password"] },
        { name: "x", redirect_uris: ["javascript:alert(1)"] },
        { name: "x", redirect_uris: ["not a url"] },
        { name: "x", redirect_uris: ["https://app.example/cb#frag"] },
        { name: "x", redirect_uris: "https://app.example/cb" },
        { name: "x", public: true, grants: ["client_credentials"] },
        { name: "x", grants: ["client_credentials"], extra: 1 },
        { name: "x\u0000y", grants: ["client_credentials"] },
        { name: "x".repeat(201), grants: ["client_credentials"] },
        // A name that reorders or hides what the consent page says.
        { name: "\u202eevil", grants: ["client_credentials"] },
        { name: "Photo\u200bPrinter", grants: ["client_credentials"] },
        { name: "\ud800", grants: ["client_credentials"] },
        // Redirect URIs matched as registered: nothing a parser drops or encodes.
        { name: "x", redirect_uris: ["http://a.test/\u0001\n\r"] },
        {
          name: "x",
          redirect_uris: ["https://a.test/cb"],
          post_logout_redirect_uris: ["http://a.test/\u0000"],
        },
        { name: "x", redirect_uris: ["https://a.test/c b"] },
        { name: "x", redirect_uris: ["https://a.test/cb\u00a0"] },
        { name: "x", redirect_uris: ["https://a.test/\u200ecb"] },
        { name: "x", redirect_uris: ["https://a.test/\ud800"] },
        [],
        "text",
        null,
      ];
      for (const body of bodies) {
        const answer = await call("POST", "/admin/clients", keys.clients, body);
        assert.ok(
          answer.status >= 400 && answer.status < 500,
          `${JSON.stringify(body)}: ${answer.status}`,
        );
        assert.equal(typeof (answer.body as { error?: unknown }).error, "string");
      }
      const badId = await call("DELETE", "/admin/clients/..%2Fx", keys.clients);
      assert.equal(badId.status, 400);
      const raw = await request(server.url, "POST", "/admin/clients", {
        raw: "{not json",
        contentType: "application/json",
        headers: { authorization: `Bearer ${keys.clients}` },
      });
      assert.equal(raw.status, 400);
      assert.equal((await server.service.oidc.clients.list()).length, before_);
    });
  });
}
