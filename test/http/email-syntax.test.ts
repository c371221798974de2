import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/platform/db/connect.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

const STRONG = "correct horse battery staple";

/** Each makes one string mean another mailbox, a look-alike account, or no domain at all. */
const REFUSED = [
  "x<redirected@evil.test>",
  "a@b.test, evil@evil.test",
  "victim@corp.test(1",
  "victim@corp.test;x",
  '"a b"@corp.test',
  "a@[192.0.2.1]",
  "vic\u200btim@corp.test",
  "\u202eadmin@corp.test",
  "admin\u0085@corp.test",
  "admin\u00a0@corp.test",
  "admin\u037e@corp.test",
  "x@y",
  "x@127.0.0.1",
  "x@0x7f.1",
  "x@-corp.test",
  "x@corp_test.example",
  "x@corp.test.",
  ".x@corp.test",
  "x..y@corp.test",
  "x@xn--jgeva-dua.ee",
  "x@corp.ｔｅｓｔ",
];

const ACCEPTED = ["guillaume@holberton.io", "Margaret.Hamilton@example.com", "josé@jõgeva.ee"];

describe("email syntax, production mode, mail to a real SMTP server", () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestApp({
      ...productionMailEnv(smtp),
      RESET_MAX_PER_EMAIL: "1",
      RESET_MAX_PER_IP: "0",
    });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  const register = (email: string) =>
    request(server.url, "POST", "/users", { json: { email, password: STRONG } });
  const mailedTo = (part: string) => smtp.mails.filter((m) => m.to.some((to) => to.includes(part)));

  test("registration refuses what a mail parser or a reader would see as another address", async () => {
    for (const email of REFUSED) {
      const r = await register(email);
      assert.equal(r.status, 400, JSON.stringify(email));
      assert.match((r.body as { message: string }).message, /email/, JSON.stringify(email));
    }
    for (const email of ACCEPTED) assert.equal((await register(email)).status, 200, email);
  });

  test("x<redirected@evil.test> gets no account and no reset mail", async () => {
    const email = "x<redirected@evil.test>";
    assert.equal((await register(email)).status, 400);
    const reset = await request(server.url, "POST", "/reset_password", { form: { email } });
    assert.equal(reset.status, 400);
    await server.service.outbox?.drain();
    assert.deepEqual(mailedTo("evil.test"), []);
  });

  test("spellings with a comment do not each get a reset quota for one mailbox", async () => {
    assert.equal((await register("victim@corp.test")).status, 200);
    const spellings = ["victim@corp.test", "victim@corp.test(1", "victim@corp.test(2"];
    for (const email of spellings.slice(1)) assert.equal((await register(email)).status, 400);
    for (const email of spellings) {
      await request(server.url, "POST", "/reset_password", { form: { email } });
    }
    await server.service.outbox?.drain();
    assert.equal(mailedTo("victim@corp.test").length, 1, "one mail: the quota of the one account");
  });

  test("accounts made before the rule log in, reset, and are mailed only at a single mailbox", async () => {
    // As a registration accepted by the old, looser syntax left them.
    const legacy = ["old@intranet", "y<redirected@evil2.test>", "target@corp2.test(1"];
    const hash = await server.service.auth.hasher.hash(STRONG);
    for (const email of legacy) await server.service.store.insertUser(email, hash, new Date());

    for (const email of legacy) {
      const login = await request(server.url, "POST", "/sessions", {
        form: { email, password: STRONG },
      });
      assert.equal(login.status, 200, `${email} logs in`);
      const changed = await request(server.url, "PUT", "/profile/password", {
        cookie: `session_id=${sessionCookieOf(login)}`,
        form: { current_password: STRONG, new_password: "another fine passphrase" },
      });
      assert.equal(changed.status, 200, `${email} changes its password`);
    }
    // The token a reset mail would carry (the outbox makes it the same way).
    const issued = await server.service.auth.issueResetToken("old@intranet");
    const reset = await request(server.url, "PUT", "/reset_password", {
      form: { email: "old@intranet", reset_token: issued?.token ?? "", new_password: STRONG },
    });
    assert.equal(reset.status, 200, "a legacy address completes a reset");

    await server.service.outbox?.drain();
    assert.equal(mailedTo("old@intranet").length, 2, "two notices to a harmless legacy address");
    assert.deepEqual(mailedTo("evil2.test"), [], "no mail to the domain hidden in the address");
    assert.deepEqual(mailedTo("corp2.test"), [], "no mail to the address before the comment");
    assert.deepEqual(await waitingMail(server.databaseUrl), [], "dropped, not left to retry");
  });
});

/** Outbox rows still waiting for another attempt, read straight from the database. */
async function waitingMail(url: string): Promise<string[]> {
  const { db } = connect({ url });
  try {
    const rows = await db.selectFrom("mail_outbox").select("email").execute();
    return rows.map((row) => row.email);
  } finally {
    await db.destroy();
  }
}
