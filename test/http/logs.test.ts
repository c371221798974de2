import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../../src/platform/http/logger.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";
import { productionMailEnv, resetLinkOf, startSmtpServer } from "../helpers/smtp.js";

function captureLog(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, sink };
}

test("a full flow at trace level logs no password, token or hash", async () => {
  const { lines, sink } = captureLog();
  const server = await startTestServer(
    { LOG_LEVEL: "trace" },
    { logger: createLogger("trace", sink) },
  );
  const email = "logged@example.com";
  const password = "Very-Secret-Pa55";
  const newPassword = "Even-More-Secret-Pa55";
  const secrets: string[] = [password, newPassword];
  try {
    const url = server.url;
    await request(url, "POST", "/users", { form: { email, password } });
    await request(url, "POST", "/users", { json: { email, password } });
    await request(url, "POST", "/sessions", { form: { email, password: "wrong-Pa55-word" } });
    secrets.push("wrong-Pa55-word");
    const login = await request(url, "POST", "/sessions", { form: { email, password } });
    const token = sessionCookieOf(login) ?? "";
    secrets.push(token);
    await request(url, "GET", "/profile", {
      cookie: `session_id=${token}`,
      headers: { "x-request-id": "trace-me-42" },
    });
    await request(url, "GET", `/profile?session_id=${token}`);
    // Node's JSON parser quotes the body in its error: it must not reach the log.
    await request(url, "POST", "/sessions", {
      raw: `{"email":"${email}","password":"${password}"`,
      contentType: "application/json",
    });
    // ...and for a short body it quotes all of it.
    await request(url, "POST", "/sessions", { raw: "Sh0rt-Pw!", contentType: "application/json" });
    secrets.push("Sh0rt-Pw!");
    await request(url, "DELETE", "/sessions", { cookie: `session_id=${token}` });
    const reset = await request(url, "POST", "/reset_password", { form: { email } });
    const resetToken = (reset.body as { reset_token: string }).reset_token;
    secrets.push(resetToken);
    await request(url, "PUT", "/reset_password", {
      form: { email, reset_token: resetToken, new_password: newPassword },
    });
    await request(url, "PUT", "/reset_password", {
      form: { email, reset_token: resetToken, new_password: newPassword },
    });
    const user = await server.service.db.findUserBy({ email });
    const hash = user.hashedPassword ?? "";
    secrets.push(hash, hash.slice(7, 29)); // the hash and its salt
  } finally {
    await server.close();
  }
  const log = lines.join("");
  assert.ok(
    (log.match(/"msg":"request completed"/g) ?? []).length >= 12,
    "every request was logged",
  );
  assert.match(log, /"path":"\/profile"/);
  assert.match(
    log,
    /"reqId":"trace-me-42"[^\n]*"path":"\/profile"/,
    "the request id is in its log line",
  );
  for (const secret of secrets) {
    assert.ok(secret.length >= 8);
    assert.ok(!log.includes(secret), `the log contains a secret: ${secret.slice(0, 4)}...`);
  }
});

test("production: the mailed token, a refused mail's retry and the audit trail stay out of the log", async () => {
  const { lines, sink } = captureLog();
  const smtp = await startSmtpServer();
  const server = await startTestServer(
    {
      LOG_LEVEL: "trace",
      ...productionMailEnv(smtp),
    },
    { logger: createLogger("trace", sink) },
  );
  const email = "mailed@example.com";
  const password = "Very-Secret-Pa55phrase";
  const secrets = [password];
  try {
    await request(server.url, "POST", "/users", { form: { email, password } });
    smtp.refuseNext(1); // the first attempt fails: a warning is logged, then a retry
    await request(server.url, "POST", "/reset_password", { form: { email } });
    await server.service.outbox?.drain();
    const due = await smtp.waitForMail((m) => m.to.includes(email), 100).catch(() => null);
    assert.equal(due, null, "the refused attempt delivered nothing");
    await request(server.url, "POST", "/reset_password", { form: { email } });
    const mail = await smtp.waitForMail((m) => m.to.includes(email));
    secrets.push(resetLinkOf(mail).token);
  } finally {
    await server.close();
    await smtp.close();
  }
  const log = lines.join("");
  assert.match(log, /"msg":"mail failed, will retry"/);
  assert.match(log, /"msg":"mail handled"/);
  for (const secret of secrets) assert.ok(!log.includes(secret), "a secret reached the log");
});
