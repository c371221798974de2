import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../../src/http/logger.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";

test("a full flow at trace level logs no password, token or hash", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
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
    secrets.push(user.hashedPassword, user.hashedPassword.slice(7, 29)); // the hash and its salt
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
