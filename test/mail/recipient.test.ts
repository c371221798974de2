import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { smtpTransport } from "../../src/platform/mail/transport.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

let smtp: TestSmtpServer;
before(async () => {
  smtp = await startSmtpServer();
});
after(async () => smtp?.close());

test("the transport hands nodemailer one address, never a list for its parser to read", async () => {
  const transport = smtpTransport(smtp.url, "no-reply@example.test");
  try {
    // As a string, nodemailer would read these as victim@corp.test and as two recipients.
    for (const to of ["victim@corp.test(1", "a@b.test, evil@evil.test"]) {
      await transport.send({ to, subject: "Reset your password", text: "..." }).catch(() => {});
    }
    const recipients = smtp.mails.flatMap((mail) => mail.to);
    assert.deepEqual(
      recipients.filter((to) => to === "victim@corp.test" || to === "evil@evil.test"),
      [],
    );
    await transport.send({ to: "plain@example.test", subject: "s", text: "t" });
    assert.deepEqual(smtp.mails.at(-1)?.to, ["plain@example.test"]);
  } finally {
    transport.close();
  }
});
