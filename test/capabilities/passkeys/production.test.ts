import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { toWebhookPayload } from "../../../src/capabilities/webhooks/events.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { type LoggedProduction, startLoggedProduction } from "../../helpers/production.js";
import type { TestServer } from "../../helpers/server.js";
import type { TestSmtpServer } from "../../helpers/smtp.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

const PASSWORD = "correct horse battery staple";

test("passkey.added and passkey.removed are webhooks; renames and uses are not", () => {
  const at = new Date("2026-01-01T00:00:00Z");
  const subject = { userId: 7, email: "bob@example.com" };
  for (const [action, type] of [
    ["added", "passkey.added"],
    ["removed", "passkey.removed"],
    ["renamed", null],
    ["used", null],
    ["refused", null],
  ] as const) {
    const payload = toWebhookPayload({ type: "passkey", action, ...subject }, at);
    assert.equal(payload?.type ?? null, type, action);
    if (payload) assert.deepEqual(payload.data, { user: { id: 7, email: "bob@example.com" } });
  }
});

/** Production: PUBLIC_URL is the relying party; notices by mail; audit rows; metrics; nothing secret logged. */
describe("passkeys in production", () => {
  let production: LoggedProduction;
  let smtp: TestSmtpServer;
  let server: TestServer;
  let lines: string[] = [];

  before(async () => {
    production = await startLoggedProduction();
    ({ smtp, server, lines } = production);
  });
  after(async () => {
    await production?.close();
  });

  test("mails on add, on a copied authenticator and on removal; audit rows; metrics", {
    timeout: 120_000,
  }, async () => {
    const email = "careful-pk@example.com";
    const form = { email, password: PASSWORD };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const login = await request(server.url, "POST", "/sessions", { form });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const authenticator = new SoftwareAuthenticator({ origin: "https://auth.example.test" });
    const creation = await request(server.url, "POST", "/passkeys/registration/options", {
      cookie,
    });
    const options = creation.body as PublicKeyCredentialCreationOptionsJSON;
    assert.equal(options.rp.id, "auth.example.test", "the RP ID is PUBLIC_URL's host");
    const response = authenticator.register(options);
    const added = await request(server.url, "POST", "/passkeys/registration", {
      cookie,
      json: { response },
    });
    assert.equal(added.status, 200, added.text);
    await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "A passkey was added to your account",
    );
    const id = (added.body as { passkey: { id: string } }).passkey.id;

    const signIn = async (bend = {}) => {
      const got = await request(server.url, "POST", "/passkeys/authentication/options");
      const assertion = authenticator.assert(
        got.body as PublicKeyCredentialRequestOptionsJSON,
        bend,
      );
      return request(server.url, "POST", "/passkeys/authentication", {
        json: { response: assertion },
      });
    };
    const good = await signIn();
    assert.equal(good.status, 200, good.text);
    assert.match(good.headers.get("set-cookie") ?? "", /; Secure/);
    const copied = await signIn({ counter: 1 });
    assert.equal(copied.status, 401);
    await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "A passkey of your account was refused",
    );

    const removed = await request(server.url, "DELETE", `/passkeys/${id}`, {
      cookie,
      json: { password: PASSWORD },
    });
    assert.equal(removed.status, 200, removed.text);
    await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "A passkey was removed from your account",
    );

    await server.service.audit.flush();
    const rows = (await server.service.audit.list({ email })).map(
      (row) => `${row.event}:${row.outcome}`,
    );
    for (const expected of [
      "passkey_added:success",
      "passkey_used:sign_in",
      "passkey_refused:counter_regression",
      "passkey_removed:success",
    ])
      assert.ok(rows.includes(expected), `${expected} in ${rows.join(", ")}`);

    const metrics = await request(server.url, "GET", "/metrics", {
      headers: { authorization: "Bearer scrape-token-for-tests" },
    });
    for (const line of [
      'auth_passkey_events_total{action="added",outcome="success"} 1',
      'auth_passkey_events_total{action="used",outcome="sign_in"} 1',
      'auth_passkey_events_total{action="refused",outcome="counter_regression"} 1',
      'auth_passkey_events_total{action="removed",outcome="success"} 1',
    ])
      assert.ok(metrics.text.includes(line), line);

    const everything = lines.join("") + smtp.mails.map((m) => m.text).join("");
    for (const leaked of [options.challenge, response.response.attestationObject, response.id])
      assert.ok(
        !everything.includes(leaked),
        "a challenge or credential reached a log line or a mail",
      );
  });
});
