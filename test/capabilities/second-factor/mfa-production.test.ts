import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { type LoggedProduction, startLoggedProduction } from "../../helpers/production.js";
import type { TestServer } from "../../helpers/server.js";
import type { TestSmtpServer } from "../../helpers/smtp.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "correct horse battery staple";

/**
 * Production: notices by mail when a factor is added, removed or a recovery
 * code is used; the audit trail's rows; metrics; and no secret in any log line.
 */
describe("two-factor authentication in production", () => {
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

  test("mails, audit rows, metrics; secrets in no log line", TIMEOUT, async () => {
    const email = "careful@example.com";
    const form = { email, password: PASSWORD };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const login = await request(server.url, "POST", "/sessions", { form });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const { secret } = (await request(server.url, "POST", "/mfa/totp/setup", { cookie })).body as {
      secret: string;
    };
    const firstCode = totpCode(secret, new Date());
    const confirmed = await request(server.url, "POST", "/mfa/totp/confirm", {
      cookie,
      json: { code: firstCode, password: PASSWORD },
    });
    assert.equal(confirmed.status, 200, confirmed.text);
    const codes = (confirmed.body as { recovery_codes: string[] }).recovery_codes;
    const added = await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "Two-factor authentication was turned on",
    );
    assert.ok(added.text.includes("https://auth.example.test/account"));

    const first = await request(server.url, "POST", "/sessions", { form });
    const mfaToken = (first.body as { mfa_token: string }).mfa_token;
    const wrong = await request(server.url, "POST", "/sessions/mfa", {
      json: { mfa_token: mfaToken, code: "abcde-fghjk" },
    });
    assert.equal(wrong.status, 401);
    const recovered = await request(server.url, "POST", "/sessions/mfa", {
      json: { mfa_token: mfaToken, code: codes[0] },
    });
    assert.equal(recovered.status, 200, recovered.text);
    await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "A recovery code was used to sign in",
    );
    const off = await request(server.url, "DELETE", "/mfa/totp", {
      cookie,
      json: { password: PASSWORD, code: codes[1] },
    });
    assert.equal(off.status, 200, off.text);
    await smtp.waitForMail(
      (m) => m.to.includes(email) && m.subject === "Two-factor authentication was turned off",
    );

    await server.service.audit.flush();
    const rows = (await server.service.audit.list({ email })).map(
      (row) => `${row.event}:${row.outcome}`,
    );
    for (const expected of [
      "mfa_enabled:success",
      "mfa_challenge:required",
      "mfa_challenge:failure",
      "recovery_code_used:9 left",
      "login:success",
      "mfa_disabled:success",
    ]) {
      assert.ok(rows.includes(expected), `${expected} in ${rows.join(", ")}`);
    }

    const metrics = await request(server.url, "GET", "/metrics", {
      headers: { authorization: "Bearer scrape-token-for-tests" },
    });
    assert.match(metrics.text, /auth_mfa_challenges_total\{outcome="required",method="none"\} 1/);
    assert.match(metrics.text, /auth_mfa_challenges_total\{outcome="failure",method="none"\} 1/);
    assert.match(
      metrics.text,
      /auth_mfa_challenges_total\{outcome="success",method="recovery_code"\} 1/,
    );

    const everything = lines.join("") + smtp.mails.map((m) => m.text).join("");
    // The six digits quoted: bare, they turn up inside timestamps by chance.
    for (const leaked of [secret, `"${firstCode}"`, mfaToken, ...codes]) {
      assert.ok(!everything.includes(leaked), "a secret reached a log line or a mail");
    }
  });
});
