import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { totpCode } from "../../../src/capabilities/second-factor/totp.js";
import { testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { type ProductionFixture, startProduction } from "../../helpers/production.js";
import { turnOnTotp } from "../../helpers/totp.js";
import {
  startWebhookReceiver,
  type WebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";

// One's own data (CONTRACT H): GET /profile/export and DELETE /profile, on
// SQLite and PostgreSQL, in production (mail and webhooks going out). After
// the deletion every table is read, row by row, for anything of the user.

/** Every table's rows that name the user: its id in a user_id column (users: id), or either address in any column. */
async function rowsNaming(
  databaseUrl: string,
  userId: number,
  addresses: readonly string[],
): Promise<Record<string, Array<Record<string, unknown>>>> {
  const found: Record<string, Array<Record<string, unknown>>> = {};
  const lowered = addresses.map((address) => address.toLowerCase());
  const names = (row: Record<string, unknown>, table: string) =>
    Object.entries(row).some(([column, value]) => {
      if (value === null || value === undefined) return false;
      if (
        (column === "user_id" || (table === "users" && column === "id")) &&
        Number(value) === userId
      )
        return true;
      const text = String(value).toLowerCase();
      // A counter keyed by the account's id (mail-request-limit.ts: "change-user:<id>").
      if (column === "key" && text.endsWith(`-user:${userId}`)) return true;
      return lowered.some((address) => text.includes(address));
    });
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new BetterSqlite3(databaseUrl.slice("sqlite:".length), { readonly: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as Array<{ name: string }>;
      for (const { name } of tables) {
        const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>;
        const naming = rows.filter((row) => names(row, name));
        if (naming.length > 0) found[name] = naming;
      }
    } finally {
      db.close();
    }
    return found;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    for (const { table_name: name } of tables.rows) {
      const rows = (await client.query(`SELECT * FROM "${name}"`)).rows as Array<
        Record<string, unknown>
      >;
      const naming = rows.filter((row) => names(row, name));
      if (naming.length > 0) found[name] = naming;
    }
  } finally {
    await client.end();
  }
  return found;
}

for (const factory of await testDatabases()) {
  describe(`one's own data: export and deletion (${factory.name})`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let fixture: ProductionFixture;
    let receiver: WebhookReceiver;
    const email = `own-data-${factory.name}@example.com`;
    const newEmail = `own-data-new-${factory.name}@example.com`;
    const password = "a long passphrase for own data";
    let cookie = "";
    let secret = "";
    let recoveryCodes: string[] = [];
    let userId = 0;

    before(async () => {
      receiver = await startWebhookReceiver();
      fixture = await startProduction(factory, {
        WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
        WEBHOOK_RETRY_BASE: "100ms",
      });
      await fixture.server.service.webhooks.add(receiver.url, ["user.deleted"]);
      await fixture.verifiedUser(email, password);
      cookie = await fixture.logIn(email, password);
      await fixture.logIn(email, password); // a second device
      ({ secret, recoveryCodes } = await turnOnTotp(fixture.url, cookie, password));
      // A wrong password: the account's login failures are counted (login_throttle).
      const wrong = await request(fixture.url, "POST", "/sessions", {
        json: { email, password: "not the password at all" },
      });
      assert.equal(wrong.status, 401);
      // A pending change to another address (email_tokens, and mails to both).
      const changed = await request(fixture.url, "PUT", "/profile/email", {
        cookie,
        json: {
          new_email: newEmail,
          password,
          code: totpCode(secret, new Date(Date.now() + 30_000)),
        },
      });
      assert.equal(changed.status, 202, changed.text);
      await fixture.sent();
      userId = Number(
        ((await fixture.server.service.db.findUserBy({ email })) as { id: number }).id,
      );
    });
    after(async () => {
      await fixture?.close();
      await receiver?.close();
    });

    test("GET /profile/export: everything kept about the user, as a download, nothing secret", {
      timeout: 120_000,
    }, async () => {
      const response = await request(fixture.url, "GET", "/profile/export", { cookie });
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(
        response.headers.get("content-disposition"),
        'attachment; filename="account-data.json"',
      );
      assert.equal(response.headers.get("cache-control"), "no-store");
      const data = response.body as {
        profile: { id: number; email: string; email_verified_at: string | null };
        sessions: Array<Record<string, unknown>>;
        second_factor: { totp: string; recovery_codes_left: number };
        email_address: { pending_email_change: { new_email: string } | null };
        audit_events: Array<{ event: string }>;
      };
      assert.equal(data.profile.email, email);
      assert.equal(data.profile.id, userId);
      assert.ok(data.profile.email_verified_at);
      assert.equal(data.sessions.length, 2);
      assert.deepEqual(Object.keys(data.sessions[0] ?? {}).sort(), [
        "created_at",
        "current",
        "expires_at",
        "id",
        "ip",
        "last_seen_at",
        "user_agent",
      ]);
      assert.equal(data.sessions.filter((session) => session.current).length, 1);
      assert.equal(data.second_factor.totp, "on");
      assert.equal(data.second_factor.recovery_codes_left, recoveryCodes.length);
      assert.equal(data.email_address.pending_email_change?.new_email, newEmail);
      const events = data.audit_events.map((entry) => entry.event);
      for (const name of [
        "register",
        "email_verified",
        "login",
        "mfa_enabled",
        "email_change_requested",
      ])
        assert.ok(events.includes(name), `${name} in ${events.join(", ")}`);
      // No secret: the session token, the TOTP secret, a hash.
      const text = response.text;
      assert.ok(!text.includes(cookie.slice("session_id=".length)), "no session token");
      assert.ok(!text.includes(secret), "no TOTP secret");
      assert.doesNotMatch(text, /\$2[aby]\$|\$argon2/, "no password hash");
      assert.doesNotMatch(text, /token_hash|secret_sealed|code_hash/);
    });

    test("GET /profile/export without a session: 403", async () => {
      const response = await request(fixture.url, "GET", "/profile/export");
      assert.equal(response.status, 403);
    });

    test("DELETE /profile: the password alone is not enough with a second factor; a wrong one changes nothing", {
      timeout: 120_000,
    }, async () => {
      const alone = await request(fixture.url, "DELETE", "/profile", {
        cookie,
        json: { password },
      });
      assert.equal(alone.status, 403);
      assert.equal((alone.body as { error: string }).error, "mfa_required");
      const wrong = await request(fixture.url, "DELETE", "/profile", {
        cookie,
        json: { password: "not the password", code: "123456" },
      });
      assert.equal(wrong.status, 403);
      assert.equal((wrong.body as { error: string }).error, "invalid_credentials");
      const profile = await request(fixture.url, "GET", "/profile", { cookie });
      assert.equal(profile.status, 200, "still there, still signed in");
    });

    test("DELETE /profile with the password and a code: gone from every table, sessions ended, audited, webhook, mail", {
      timeout: 120_000,
    }, async () => {
      // A recovery code: the TOTP steps around now were used by the set-up and the email change.
      const code = recoveryCodes[0] ?? "";
      // Asked in German: the notice mail is written in German.
      const deleted = await request(fixture.url, "DELETE", "/profile", {
        cookie,
        json: { password, code },
        headers: { "accept-language": "de-DE,de;q=0.9" },
      });
      assert.equal(deleted.status, 200, deleted.text);
      assert.deepEqual(deleted.body, { message: "account deleted" });
      assert.match(deleted.headers.get("set-cookie") ?? "", /session_id=;.*Max-Age=0/);
      assert.equal((await request(fixture.url, "GET", "/profile", { cookie })).status, 403);

      // The notice mail goes out, and the webhook is delivered.
      const notice = await fixture.nthMail(email, "Ihr Konto wurde gelöscht");
      assert.match(notice.text, /gerade gelöscht/);
      assert.match(notice.text, /^-- auth-service\r?$/m);
      await waitFor(() => receiver.received.length > 0, "the user.deleted webhook");
      const payload = JSON.parse(receiver.received[0]?.body ?? "{}") as {
        type: string;
        data: { user: { id: number; email: string } };
      };
      assert.equal(payload.type, "user.deleted");
      assert.deepEqual(payload.data.user, { id: userId, email });
      await fixture.server.service.audit.flush();

      // Table by table. The queues hold the notice and the webhook only until they are sent;
      // then the one row left is the deletion's own audit row, which names nobody.
      const addresses = [email, newEmail];
      let left: Record<string, Array<Record<string, unknown>>> = {};
      await waitFor(async () => {
        left = await rowsNaming(fixture.server.databaseUrl, userId, addresses);
        return !("mail_outbox" in left) && !("webhook_deliveries" in left);
      }, "the notice and the webhook sent, and their rows gone");
      assert.deepEqual(Object.keys(left), ["audit_log"], JSON.stringify(left));
      const [row, ...others] = left.audit_log ?? [];
      assert.equal(others.length, 0, JSON.stringify(left.audit_log));
      assert.equal(row?.event, "user_deleted");
      assert.equal(row?.outcome, "erased_by_owner");
      assert.equal(row?.email, null);
      assert.equal(row?.ip, null);
      assert.equal(row?.user_agent, null);

      // The password opens nothing any more.
      const login = await request(fixture.url, "POST", "/sessions", { json: { email, password } });
      assert.equal(login.status, 401);
    });
  });
}
