import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

let smtp: TestSmtpServer;
let server: TestServer;
before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    ...productionMailEnv(smtp),
  });
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

test("production: spaces around a common password do not get it past the blocklist", async () => {
  for (const password of [" password", "password ", "  PassWord  ", "\u00a0iloveyou\u00a0"]) {
    const r = await request(server.url, "POST", "/users", {
      json: { email: "spaced@example.com", password },
    });
    assert.equal(r.status, 400, JSON.stringify(password));
    assert.match((r.body as { message: string }).message, /most common passwords/);
  }
  const r = await request(server.url, "POST", "/users", {
    json: { email: "spaced@example.com", password: " correct horse battery staple " },
  });
  assert.equal(r.status, 200, "a passphrase with spaces is still welcome");
});
