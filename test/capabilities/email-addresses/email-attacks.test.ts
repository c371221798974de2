import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import {
  CHANGE_SUBJECT,
  linkIn,
  type ProductionFixture,
  startProduction,
  VERIFY_SUBJECT,
} from "../../helpers/production.js";
import { turnOnTotp } from "../../helpers/totp.js";

const TIMEOUT = { timeout: 60_000 };
const PASSWORD = "correct horse battery staple";
const NOTICE_SUBJECT = "A change of your email address was asked for";

/**
 * Attacks on verified addresses and email changes, in production (links
 * read from the mails), on each database: flooding addresses through email
 * changes, changing the address of an account with a second factor with the
 * password alone, voiding someone's verification link by asking for another.
 */
for (const factory of await testDatabases()) {
  describe(`attacks on email addresses, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let prod: ProductionFixture;
    let users = 0;
    before(async () => {
      prod = await startProduction(factory);
    });
    after(async () => {
      await prod?.close();
    });
    const newUser = async () => {
      const email = `user${++users}@example.com`;
      await prod.verifiedUser(email, PASSWORD);
      return { email, cookie: await prod.logIn(email, PASSWORD) };
    };
    /** Turns TOTP on for the session's user; its recovery codes. */
    const turnedOnFactor = async (cookie: string): Promise<string[]> =>
      (await turnOnTotp(prod.url, cookie, PASSWORD)).recoveryCodes;
    const askChange = (cookie: string, newEmail: string, code?: string) =>
      request(prod.url, "PUT", "/profile/email", {
        cookie,
        json: { new_email: newEmail, password: PASSWORD, ...(code ? { code } : {}) },
      });

    test("one account asking for 30 addresses: 10 go out, then 429", TIMEOUT, async () => {
      const { email, cookie } = await newUser();
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push((await askChange(cookie, `target${i}@victims.example`)).status);
      assert.deepEqual(statuses, [...Array(10).fill(202), ...Array(20).fill(429)]);
      await prod.sent();
      const mailed = prod.smtp.mails.filter((mail) => mail.subject === CHANGE_SUBJECT);
      // At most one per accepted request (a newer change voids an unsent older one).
      const toTargets = mailed.filter((mail) => /@victims\.example/.test(mail.to.join())).length;
      assert.ok(toTargets >= 1 && toTargets <= 10, `${toTargets} confirmation mails`);
      assert.equal(prod.mailsTo(email, NOTICE_SUBJECT).length, 10, "notices to the owner");
    });

    test(
      "many accounts asking for one mailbox from one client, however spelled: 3, then 429",
      TIMEOUT,
      async () => {
        // Plus tags and dots reach the same mailbox at most providers.
        const spellings = [
          "one.victim@victims.example",
          "onevictim+a@victims.example",
          "OneVictim@victims.example",
          "one.vic.tim+b@victims.example",
          "onevictim@victims.example",
        ];
        const statuses: number[] = [];
        for (const target of spellings) {
          const { cookie } = await newUser();
          statuses.push((await askChange(cookie, target)).status);
        }
        assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
        await prod.sent();
        const mailed = spellings.flatMap((target) => prod.mailsTo(target, CHANGE_SUBJECT));
        assert.equal(mailed.length, 3);
      },
    );

    test("a change refused by a limit does not use up the code it carried", TIMEOUT, async () => {
      const target = "popular@victims.example";
      for (let i = 0; i < 3; i++) {
        const { cookie } = await newUser();
        assert.equal((await askChange(cookie, target)).status, 202);
      }
      const { cookie } = await newUser();
      const [recovery] = await turnedOnFactor(cookie);
      assert.equal((await askChange(cookie, target, recovery)).status, 429);
      const elsewhere = await askChange(cookie, "elsewhere@example.com", recovery);
      assert.equal(elsewhere.status, 202, "the code still works");
    });

    test("with a second factor, the password alone changes no address", TIMEOUT, async () => {
      const { email, cookie } = await newUser();
      const [recovery] = await turnedOnFactor(cookie);

      const passwordOnly = await askChange(cookie, "stolen@evil.example");
      assert.equal(passwordOnly.status, 403);
      assert.equal((passwordOnly.body as { error: string }).error, "mfa_required");
      const wrongCode = await askChange(cookie, "stolen@evil.example", "zzzzz-zzzzz");
      assert.equal(wrongCode.status, 403);
      assert.equal((wrongCode.body as { error: string }).error, "invalid_code");
      await prod.sent();
      assert.equal(prod.mailsTo("stolen@evil.example", CHANGE_SUBJECT).length, 0, "nothing mailed");
      assert.equal(prod.mailsTo(email, NOTICE_SUBJECT).length, 0, "no notice either");

      const withCode = await askChange(cookie, "moved@example.com", recovery);
      assert.equal(withCode.status, 202, withCode.text);
      const reused = await askChange(cookie, "again@example.com", recovery);
      assert.equal(reused.status, 403, "a recovery code proves one change");
    });

    test(
      "asking for a new verification link leaves the victim's link working",
      TIMEOUT,
      async () => {
        const email = `unverified${++users}@example.com`;
        const registered = await request(prod.url, "POST", "/users", {
          json: { email, password: PASSWORD },
        });
        assert.equal(registered.status, 200);
        const victims = linkIn(await prod.nthMail(email, VERIFY_SUBJECT), "/account/verify");
        // Anyone may ask for a new link for any address.
        const asked = await request(prod.url, "POST", "/users/verification", { json: { email } });
        assert.equal(asked.status, 200);
        const second = linkIn(await prod.nthMail(email, VERIFY_SUBJECT, 2), "/account/verify");
        const verified = await request(prod.url, "POST", "/users/verify", {
          json: { token: victims.token },
        });
        assert.deepEqual(verified.body, { email, message: "email verified" });
        const spare = await request(prod.url, "POST", "/users/verify", {
          json: { token: second.token },
        });
        assert.equal(spare.status, 400, "the first completed voids the rest");
      },
    );
  });
}
