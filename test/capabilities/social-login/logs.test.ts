import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../../../src/platform/http/logger.js";
import { request } from "../../helpers/http.js";
import { startTestServer } from "../../helpers/server.js";
import { CookieJar } from "./jar.js";
import { startUpstream } from "./upstream.js";

test("social sign-ins at trace level log no client secret, state, code, link token or session", {
  timeout: 90_000,
}, async () => {
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
  const base = `http://localhost:${server.port}`;
  const upstream = await startUpstream([`${base}/login/up/callback`]);
  const password = "Logged-Social-Pa55";
  const secrets: string[] = [upstream.clientSecret, password];
  try {
    await server.service.auth.socialLogin.providers.add({
      id: "up",
      name: "Upstream",
      kind: "oidc",
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
    // A new account, then an existing one's link page and password.
    for (const [sub, email] of [
      ["logged-new", "logged-new@example.com"],
      ["logged-owner", "logged-owner@example.com"],
    ] as const) {
      if (sub === "logged-owner")
        await request(server.url, "POST", "/users", { form: { email, password } });
      upstream.signInAs({ sub, email, email_verified: true });
      const jar = new CookieJar();
      const started = await jar.follow(`${base}/login/up`, (url) =>
        url.pathname.endsWith("/callback"),
      );
      const callback = new URL(started.stoppedAt ?? "");
      secrets.push(
        callback.searchParams.get("code") ?? "",
        callback.searchParams.get("state") ?? "",
      );
      const answer = await jar.fetch(callback.href);
      const token = /name="token" value="([^"]+)"/.exec(await answer.text())?.[1];
      if (token) {
        secrets.push(token);
        await jar.post(`${base}/login/link`, { token, password });
      }
      secrets.push(jar.get(base, "session_id") ?? "");
      // And a replay, which is refused.
      await jar.fetch(callback.href);
    }
  } finally {
    await upstream.close();
    await server.close();
  }
  const log = lines.join("");
  assert.ok(log.includes("/login/up/callback"), "the callbacks were logged");
  for (const secret of secrets.filter((value) => value.length > 0))
    assert.ok(!log.includes(secret), `a secret in the log: ${secret.slice(0, 6)}...`);
});
