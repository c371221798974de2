import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { connect } from "../../src/platform/db/connect.js";
import { smtpTransport } from "../../src/platform/mail/transport.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { resetLinkOf, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

const PUBLIC_URL = "https://auth.example.test";
const FAST_RETRIES = { retryBaseMs: 50, retryMaxMs: 200, maxAttempts: 3, pollIntervalMs: 25 };

for (const factory of await testDatabases()) {
  describe(`mail outbox on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let smtp: TestSmtpServer;
    let database: TestDatabase;
    const services: AuthService[] = [];

    const open = async (smtpUrl = smtp.url) => {
      const service = await createAuth({
        databaseUrl: database.url,
        mode: "production",
        // Registrations here must mail nothing but what each test counts.
        emailVerification: "off",
        bcryptCost: 4,
        mail: {
          transport: smtpTransport(smtpUrl, "no-reply@example.test"),
          publicUrl: PUBLIC_URL,
          worker: FAST_RETRIES,
        },
      });
      services.push(service);
      return service;
    };

    before(async () => {
      if ("skip" in factory) return;
      smtp = await startSmtpServer();
    });
    after(async () => smtp?.close());
    beforeEach(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      smtp.mails.length = 0;
    });
    afterEach(async () => {
      try {
        for (const service of services.splice(0)) await service.close();
      } finally {
        await database?.drop();
      }
    });

    test("a refused mail is retried, and the token it finally carries works", async () => {
      const service = await open();
      await service.auth.registerUser("retry@example.com", "a strong passphrase");
      smtp.refuseNext(1);
      service.outbox?.start();
      await service.auth.requestPasswordReset("retry@example.com");
      const mail = await smtp.waitForMail((m) => m.to.includes("retry@example.com"));
      const { token } = resetLinkOf(mail);
      await service.auth.updatePassword(token, "another passphrase", {
        email: "retry@example.com",
      });
      assert.equal(await service.auth.validLogin("retry@example.com", "another passphrase"), true);
    });

    test("mail that keeps failing is given up after maxAttempts and kept as failed", async () => {
      // Nothing listens on this port: every attempt fails at connect.
      const service = await open("smtp://127.0.0.1:9");
      await service.auth.registerUser("lost@example.com", "a strong passphrase");
      service.outbox?.start();
      await service.auth.requestPasswordReset("lost@example.com");
      const deadline = Date.now() + 10_000;
      let row: { status: string; attempts: number; last_error: string | null } | undefined;
      while (Date.now() < deadline) {
        row = await readOutbox(database.url);
        if (row?.status === "failed") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(row?.status, "failed");
      assert.equal(row?.attempts, FAST_RETRIES.maxAttempts);
      assert.ok(row?.last_error, "the reason is kept for operators");
    });

    test("two instances over one database send each mail once", async () => {
      const first = await open();
      const second = await open();
      for (let i = 0; i < 10; i++) {
        await first.auth.registerUser(`user${i}@example.com`, "a strong passphrase");
        await first.auth.requestPasswordReset(`user${i}@example.com`);
      }
      await Promise.all([first.outbox?.drain(), second.outbox?.drain()]);
      await Promise.all([first.outbox?.drain(), second.outbox?.drain()]);
      const recipients = smtp.mails.flatMap((m) => m.to).sort();
      assert.equal(recipients.length, 10, recipients.join(", "));
      assert.equal(new Set(recipients).size, 10);
    });

    test("a queued mail of a kind with no message fails; it is never sent as a reset", async () => {
      const service = await open("smtp://127.0.0.1:9");
      await service.auth.registerUser("kind@example.com", "a strong passphrase");
      const { db } = connect({ url: database.url });
      try {
        // What a newer version (or a hand) could leave in the table.
        await db
          .insertInto("mail_outbox")
          .values({
            kind: "welcome",
            email: "kind@example.com",
            created_at: Date.now(),
            next_attempt_at: Date.now(),
            last_error: null,
          })
          .execute();
      } finally {
        await db.destroy();
      }
      const reopened = await open();
      reopened.outbox?.start();
      const deadline = Date.now() + 10_000;
      let row: Awaited<ReturnType<typeof readOutbox>>;
      while (Date.now() < deadline) {
        row = await readOutbox(database.url);
        if (row?.status === "failed") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(row?.status, "failed");
      assert.match(row?.last_error ?? "", /no message for mail kind "welcome"/);
      assert.deepEqual(smtp.mails, [], "nothing was sent, above all no reset link");
    });

    test("a reset request for an unregistered email sends nothing and leaves nothing queued", async () => {
      const service = await open();
      await service.auth.requestPasswordReset("ghost@example.com");
      await service.outbox?.drain();
      assert.equal(smtp.mails.length, 0);
      assert.equal(await readOutbox(database.url), undefined);
    });
  });
}

/** The one outbox row, read straight from the database. */
async function readOutbox(
  url: string,
): Promise<{ status: string; attempts: number; last_error: string | null } | undefined> {
  const { db } = connect({ url });
  try {
    return await db
      .selectFrom("mail_outbox")
      .select(["status", "attempts", "last_error"])
      .executeTakeFirst();
  } finally {
    await db.destroy();
  }
}
