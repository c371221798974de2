import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { totpCode } from "../../src/capabilities/second-factor/totp.js";
import { SecondFactorStateError } from "../../src/core/errors.js";
import type { SignedIn } from "../../src/core/reauthentication.js";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { INJECTED_FAULT, injectFault, selectRows } from "../helpers/injected-fault.js";
import { TEST_SECRET_KEY } from "../helpers/smtp.js";
import { countRows } from "../helpers/table-rows.js";

/**
 * The second factor's changes and the email address flows, each with its
 * audit row, webhook rows and mail in one transaction: an insert of any of
 * them that fails (a trigger in the database makes it fail) leaves the
 * change undone too, and with no fault the rows exist with the change.
 */

const STRONG = "correct horse battery staple";
const OPERATOR = { userAgent: "cli" };
const TIMEOUT = { timeout: 120_000 };

/** A client address of its own per attempt: email changes are limited per new address and client. */
let clients = 0;
const client = () => ({ ip: `203.0.113.${++clients % 250}`, userAgent: "transactions test" });

for (const factory of await testDatabases()) {
  describe(`second factor and email changes commit with their rows, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let service: AuthService;

    beforeEach(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      service = await createAuth({
        databaseUrl: database.url,
        mode: "production",
        // Links are mailed (queued), and logins work before an address is verified.
        emailVerification: "optional",
        bcryptCost: 4,
        secretKey: TEST_SECRET_KEY,
        mail: {
          transport: { send: async () => {}, close: () => {} },
          publicUrl: "https://auth.example.test",
        },
        webhooks: { allowedHosts: ["127.0.0.1"] },
      });
      // Nothing is sent here: a queued mail stays in its table to be counted,
      // and the tokens a sending would make (replacing a link's) are the
      // test's to make. (The webhook worker is never started.)
      const { outbox } = service;
      assert.ok(outbox);
      outbox.drain = () => Promise.resolve();
      await service.webhooks.add("http://127.0.0.1:9/hook", ["email.verified", "email.changed"]);
    });
    afterEach(async () => {
      try {
        await service?.close();
      } finally {
        await database?.drop();
      }
    });

    const rows = (table: string, where: string) => countRows(database.url, table, where);

    /** Runs `act` with inserts into `table` matching `when` failing: it must fail with them. */
    async function withFault(table: string, when: string, act: () => Promise<unknown>) {
      const remove = await injectFault(database.url, table, when);
      try {
        await assert.rejects(act, new RegExp(INJECTED_FAULT), `a fault at ${table} fails ${when}`);
      } finally {
        await remove();
      }
    }

    async function signedIn(email: string): Promise<SignedIn> {
      await service.auth.createUser(email, STRONG);
      const login = await service.auth.login(email, STRONG, client());
      assert.ok(login);
      const current = await service.auth.signedIn(login.sessionToken);
      assert.ok(current);
      return current;
    }

    async function withTotp(email: string) {
      const current = await signedIn(email);
      const { secret } = await service.auth.secondFactors.beginTotpSetup(current);
      const on = await service.auth.secondFactors.confirmTotp(
        current,
        totpCode(secret, new Date()),
        STRONG,
        client(),
      );
      assert.equal(on.outcome, "done");
      return { current, recoveryCodes: on.outcome === "done" ? on.value : [] };
    }

    test(
      "turning TOTP on: the factor, its audit row and its notice, or none of them",
      TIMEOUT,
      async () => {
        const email = "totp-on@example.com";
        const current = await signedIn(email);
        const userId = current.user.id;
        const { secret } = await service.auth.secondFactors.beginTotpSetup(current);
        const confirm = () =>
          service.auth.secondFactors.confirmTotp(
            current,
            totpCode(secret, new Date()),
            STRONG,
            client(),
          );
        const seen = async () => ({
          on: await rows("totp_factors", `user_id = ${userId} AND enabled_at IS NOT NULL`),
          recoveryCodes: await rows("recovery_codes", `user_id = ${userId}`),
          audited: await rows("audit_log", `event = 'mfa_enabled' AND user_id = ${userId}`),
          mailed: await rows("mail_outbox", `kind = 'second_factor_added' AND email = '${email}'`),
        });
        await withFault("audit_log", "NEW.event = 'mfa_enabled'", confirm);
        assert.deepEqual(await seen(), { on: 0, recoveryCodes: 0, audited: 0, mailed: 0 });
        await withFault("mail_outbox", "NEW.kind = 'second_factor_added'", confirm);
        assert.deepEqual(await seen(), { on: 0, recoveryCodes: 0, audited: 0, mailed: 0 });
        // The setup is still pending: the same code turns it on now.
        assert.equal((await confirm()).outcome, "done");
        assert.deepEqual(await seen(), { on: 1, recoveryCodes: 10, audited: 1, mailed: 1 });
      },
    );

    test(
      "turning TOTP off: the factor gone, its audit row and its notice, or none of them",
      TIMEOUT,
      async () => {
        const email = "totp-off@example.com";
        const { current, recoveryCodes } = await withTotp(email);
        const userId = current.user.id;
        const [first, second, third] = recoveryCodes;
        const off = (code: string | undefined) =>
          service.auth.secondFactors.disable(current, STRONG, client(), code);
        const seen = async () => ({
          factors: await rows("totp_factors", `user_id = ${userId}`),
          recoveryCodes: await rows("recovery_codes", `user_id = ${userId}`),
          audited: await rows("audit_log", `event = 'mfa_disabled' AND user_id = ${userId}`),
          mailed: await rows(
            "mail_outbox",
            `kind = 'second_factor_removed' AND email = '${email}'`,
          ),
        });
        await withFault("audit_log", "NEW.event = 'mfa_disabled'", () => off(first));
        assert.deepEqual(await seen(), { factors: 1, recoveryCodes: 10, audited: 0, mailed: 0 });
        await withFault("mail_outbox", "NEW.kind = 'second_factor_removed'", () => off(second));
        assert.deepEqual(await seen(), { factors: 1, recoveryCodes: 10, audited: 0, mailed: 0 });
        assert.equal((await off(third)).outcome, "done");
        assert.deepEqual(await seen(), { factors: 0, recoveryCodes: 0, audited: 1, mailed: 1 });
      },
    );

    test("new recovery codes: the new set and its audit row, or neither", TIMEOUT, async () => {
      const { current, recoveryCodes } = await withTotp("new-codes@example.com");
      const userId = current.user.id;
      const [first, second] = recoveryCodes;
      const renew = (code: string | undefined) =>
        service.auth.secondFactors.renewRecoveryCodes(current, STRONG, client(), code);
      const seen = async () => ({
        // The old set keeps the code its check spent; a new set has none used.
        used: await rows("recovery_codes", `user_id = ${userId} AND used_at IS NOT NULL`),
        audited: await rows(
          "audit_log",
          `event = 'mfa_recovery_codes_renewed' AND user_id = ${userId}`,
        ),
      });
      await withFault("audit_log", "NEW.event = 'mfa_recovery_codes_renewed'", () => renew(first));
      assert.deepEqual(await seen(), { used: 1, audited: 0 });
      const renewed = await renew(second);
      assert.equal(renewed.outcome, "done");
      assert.deepEqual(await seen(), { used: 0, audited: 1 });
      assert.equal(await rows("recovery_codes", `user_id = ${userId}`), 10);
    });

    test(
      "an operator's reset of the factor: gone with its audit row and notice, or kept",
      TIMEOUT,
      async () => {
        const email = "operator-reset@example.com";
        const { current } = await withTotp(email);
        const userId = current.user.id;
        const reset = () => service.auth.secondFactors.resetByOperator(email, OPERATOR);
        const seen = async () => ({
          factors: await rows("totp_factors", `user_id = ${userId}`),
          audited: await rows(
            "audit_log",
            `event = 'mfa_reset_by_operator' AND user_id = ${userId}`,
          ),
          mailed: await rows(
            "mail_outbox",
            `kind = 'second_factor_removed' AND email = '${email}'`,
          ),
        });
        await withFault("audit_log", "NEW.event = 'mfa_reset_by_operator'", reset);
        assert.deepEqual(await seen(), { factors: 1, audited: 0, mailed: 0 });
        await withFault("mail_outbox", "NEW.kind = 'second_factor_removed'", reset);
        assert.deepEqual(await seen(), { factors: 1, audited: 0, mailed: 0 });
        assert.equal(await reset(), true);
        assert.deepEqual(await seen(), { factors: 0, audited: 1, mailed: 1 });
      },
    );

    test(
      "a turn-off that finds no factor on still commits what it voids, with no audit row or notice",
      TIMEOUT,
      async () => {
        const email = "nothing-to-turn-off@example.com";
        const current = await signedIn(email);
        const userId = current.user.id;
        await service.auth.secondFactors.beginTotpSetup(current);
        const asked = await service.auth.emailAddresses.requestChange(
          current,
          "elsewhere@example.com",
          STRONG,
          client(),
        );
        assert.equal(asked.outcome, "done");
        await assert.rejects(
          service.auth.secondFactors.disable(current, STRONG, client()),
          SecondFactorStateError,
        );
        assert.deepEqual(
          {
            pendingSetup: await rows("totp_factors", `user_id = ${userId}`),
            pendingChange: await rows("email_tokens", `purpose = 'change' AND user_id = ${userId}`),
            audited: await rows("audit_log", `event = 'mfa_disabled' AND user_id = ${userId}`),
            mailed: await rows("mail_outbox", `kind = 'second_factor_removed'`),
          },
          { pendingSetup: 0, pendingChange: 0, audited: 0, mailed: 0 },
        );
      },
    );

    /** Verified-address state of the user, its audit rows and its email.verified deliveries. */
    const verifiedState = async (userId: number) => ({
      verified: await rows("users", `id = ${userId} AND email_verified_at IS NOT NULL`),
      audited: await rows("audit_log", `event = 'email_verified' AND user_id = ${userId}`),
      webhooks: await rows("webhook_deliveries", "event_type = 'email.verified'"),
    });

    test(
      "verifying an address: verified with its audit row and webhook, or not at all",
      TIMEOUT,
      async () => {
        const email = "verify@example.com";
        const user = await service.auth.createUser(email, STRONG);
        // The token the outbox would make when it mails a new link.
        const link = await service.auth.emailAddresses.tokenForMail(null, email);
        assert.ok(link);
        const verify = () => service.auth.emailAddresses.verify(link.token, client());
        await withFault("audit_log", "NEW.event = 'email_verified'", verify);
        assert.deepEqual(await verifiedState(user.id), { verified: 0, audited: 0, webhooks: 0 });
        await withFault("webhook_deliveries", "NEW.event_type = 'email.verified'", verify);
        assert.deepEqual(await verifiedState(user.id), { verified: 0, audited: 0, webhooks: 0 });
        // Nothing was consumed: the same link works now.
        assert.deepEqual(await verify(), { email });
        assert.deepEqual(await verifiedState(user.id), { verified: 1, audited: 1, webhooks: 1 });
      },
    );

    test(
      "an operator marks an address verified: with its audit row and webhook, or not at all",
      TIMEOUT,
      async () => {
        const email = "mark-verified@example.com";
        const user = await service.auth.createUser(email, STRONG);
        const mark = () => service.auth.emailAddresses.markVerified(email, OPERATOR);
        await withFault("audit_log", "NEW.event = 'email_verified'", mark);
        assert.deepEqual(await verifiedState(user.id), { verified: 0, audited: 0, webhooks: 0 });
        await withFault("webhook_deliveries", "NEW.event_type = 'email.verified'", mark);
        assert.deepEqual(await verifiedState(user.id), { verified: 0, audited: 0, webhooks: 0 });
        assert.equal(await mark(), true);
        assert.deepEqual(await verifiedState(user.id), { verified: 1, audited: 1, webhooks: 1 });
      },
    );

    test(
      "asking for an email change: the pending change, its audit row, link and notice, or none",
      TIMEOUT,
      async () => {
        const email = "asks-change@example.com";
        const newEmail = "asked-for@example.com";
        const current = await signedIn(email);
        const userId = current.user.id;
        const ask = () =>
          service.auth.emailAddresses.requestChange(current, newEmail, STRONG, client());
        const seen = async () => ({
          pending: await rows("email_tokens", `purpose = 'change' AND user_id = ${userId}`),
          audited: await rows(
            "audit_log",
            `event = 'email_change_requested' AND user_id = ${userId}`,
          ),
          link: await rows("mail_outbox", `kind = 'email_change' AND email = '${newEmail}'`),
          notice: await rows(
            "mail_outbox",
            `kind = 'email_change_requested' AND email = '${email}'`,
          ),
        });
        const none = { pending: 0, audited: 0, link: 0, notice: 0 };
        await withFault("audit_log", "NEW.event = 'email_change_requested'", ask);
        assert.deepEqual(await seen(), none);
        await withFault("mail_outbox", "NEW.kind = 'email_change'", ask);
        assert.deepEqual(await seen(), none);
        await withFault("mail_outbox", "NEW.kind = 'email_change_requested'", ask);
        assert.deepEqual(await seen(), none);
        assert.deepEqual(await ask(), { outcome: "done", value: null });
        assert.deepEqual(await seen(), { pending: 1, audited: 1, link: 1, notice: 1 });
      },
    );

    test(
      "confirming an email change: the new address, sessions ended, audit row, webhook and notice, or none",
      TIMEOUT,
      async () => {
        const email = "confirms-change@example.com";
        const newEmail = "confirmed@example.com";
        const current = await signedIn(email);
        const userId = current.user.id;
        // A second session, which the change ends.
        assert.ok(await service.auth.login(email, STRONG, client()));
        const asked = await service.auth.emailAddresses.requestChange(
          current,
          newEmail,
          STRONG,
          client(),
        );
        assert.equal(asked.outcome, "done");
        const [pending] = await selectRows<{ id: number | string }>(
          database.url,
          `SELECT id FROM email_tokens WHERE purpose = 'change' AND user_id = ${userId}`,
        );
        assert.ok(pending);
        // The token the outbox would make when it mails the link.
        const link = await service.auth.emailAddresses.tokenForMail(Number(pending.id), newEmail);
        assert.ok(link);
        const confirm = () => service.auth.emailAddresses.confirmChange(link.token, client());
        const seen = async () => ({
          changed: await rows("users", `id = ${userId} AND email = '${newEmail}'`),
          sessions: await rows("sessions", `user_id = ${userId}`),
          audited: await rows("audit_log", `event = 'email_changed' AND user_id = ${userId}`),
          webhooks: await rows("webhook_deliveries", "event_type = 'email.changed'"),
          notice: await rows("mail_outbox", `kind = 'email_changed' AND email = '${email}'`),
        });
        const none = { changed: 0, sessions: 2, audited: 0, webhooks: 0, notice: 0 };
        await withFault("audit_log", "NEW.event = 'email_changed'", confirm);
        assert.deepEqual(await seen(), none);
        await withFault("webhook_deliveries", "NEW.event_type = 'email.changed'", confirm);
        assert.deepEqual(await seen(), none);
        await withFault("mail_outbox", "NEW.kind = 'email_changed'", confirm);
        assert.deepEqual(await seen(), none);
        // Nothing was consumed: the same link works now.
        assert.deepEqual(await confirm(), { email: newEmail });
        assert.deepEqual(await seen(), {
          changed: 1,
          sessions: 1,
          audited: 1,
          webhooks: 1,
          notice: 1,
        });
      },
    );
  });
}
