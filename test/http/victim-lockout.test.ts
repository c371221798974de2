import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  productionMailEnv,
  type ReceivedMail,
  resetLinkOf,
  startSmtpServer,
  type TestSmtpServer,
} from "../helpers/smtp.js";

/**
 * An attacker who knows the victim's email tries to keep them out: wrong
 * passwords from several addresses, and reset requests. Production mode,
 * behind one trusted proxy (the proxy's X-Forwarded-For says who is who).
 */
const VICTIM = "victim@example.test";
const PASSWORD = "correct horse battery staple";
const victimAddress = { "x-forwarded-for": "203.0.113.10" };
const attackerAddress = (n: number) => ({ "x-forwarded-for": `198.51.100.${n}` });

let smtp: TestSmtpServer;
let server: TestServer;
before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    ...productionMailEnv(smtp),
    TRUST_PROXY: "1",
    LOGIN_LOCKOUT_BASE: "10m",
  });
  const form = { email: VICTIM, password: PASSWORD };
  assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

const login = (password: string, headers: Record<string, string>) =>
  request(server.url, "POST", "/sessions", { form: { email: VICTIM, password }, headers });
const askReset = (headers: Record<string, string>) =>
  request(server.url, "POST", "/reset_password", { form: { email: VICTIM }, headers });
const resetMails = () =>
  smtp.mails.filter((mail) => mail.to.includes(VICTIM) && mail.subject === "Reset your password");

test("wrong passwords from ten addresses lock those addresses out, not the owner", {
  timeout: 60_000,
}, async () => {
  // One address guesses until it is locked out of the account...
  for (let i = 0; i < 10; i++) assert.equal((await login("guess", attackerAddress(1))).status, 401);
  assert.equal((await login("guess", attackerAddress(1))).status, 429, "that address is locked");
  // ...nine more guess five times each: 55 failures, from ten addresses.
  for (let n = 2; n <= 10; n++) {
    for (let i = 0; i < 5; i++)
      assert.equal((await login("guess", attackerAddress(n))).status, 401);
  }
  assert.equal((await login(PASSWORD, victimAddress)).status, 200, "the owner logs in");
});

test("an attacker's reset requests neither void the owner's link nor use up the owner's quota", {
  timeout: 60_000,
}, async () => {
  assert.equal((await askReset(victimAddress)).status, 200);
  const ownMail = await smtp.waitForMail((mail) => mail.to.includes(VICTIM));
  const { token } = resetLinkOf(ownMail);
  const attackerStatuses: number[] = [];
  for (let i = 0; i < 4; i++) attackerStatuses.push((await askReset(attackerAddress(1))).status);
  assert.deepEqual(attackerStatuses, [200, 200, 200, 429], "one address gets 3 of the email's 10");
  assert.equal((await askReset(victimAddress)).status, 200, "the owner can still ask");
  await server.service.outbox?.drain();
  assert.equal(resetMails().length, 5, "every accepted request mailed the owner a link");
  // The link the owner got first still works, though four newer ones exist.
  const reset = await request(server.url, "PUT", "/reset_password", {
    form: { email: VICTIM, reset_token: token, new_password: "a brand new passphrase" },
    headers: victimAddress,
  });
  assert.equal(reset.status, 200);
  const other = resetMails().find((mail: ReceivedMail) => mail !== ownMail);
  assert.ok(other);
  const reused = await request(server.url, "PUT", "/reset_password", {
    form: {
      email: VICTIM,
      reset_token: resetLinkOf(other).token,
      new_password: "attacker's choice",
    },
  });
  assert.equal(reused.status, 403, "a completed reset voids every other link");
});
