import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KyselySocialStore } from "../../../src/capabilities/social-login/kysely-store.js";
import { connect } from "../../../src/platform/db/connect.js";
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { CookieJar } from "./jar.js";
import { startUpstream, type Upstream } from "./upstream.js";

/** The rules of a password sign-in, applied to a sign-in through another provider. */
describe("social sign-ins follow the password's rules: verification and throttling", () => {
  let server: TestServer;
  let upstream: Upstream;
  let base: string;

  before(async () => {
    server = await startTestServer({ EMAIL_VERIFICATION: "required", LOGIN_MAX_FAILURES: "3" });
    base = `http://localhost:${server.port}`;
    upstream = await startUpstream([`${base}/login/up/callback`]);
    await server.service.auth.socialLogin.providers.add({
      id: "up",
      name: "Upstream",
      kind: "oidc",
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
  });
  after(async () => {
    await upstream?.close();
    await server?.close();
  });

  async function callback(jar: CookieJar): Promise<Response> {
    const started = await jar.follow(`${base}/login/up`, (url) =>
      url.pathname.endsWith("/callback"),
    );
    return jar.fetch(started.stoppedAt ?? "");
  }

  test("an address the provider did not verify: no account is made from it, no session", {
    timeout: 60_000,
  }, async () => {
    upstream.signInAs({
      sub: "unverified",
      email: "unverified@example.com",
      email_verified: false,
    });
    const jar = new CookieJar();
    const answer = await callback(jar);
    const page = await answer.text();
    assert.equal(answer.status, 403, page);
    assert.equal(jar.get(base, "session_id"), undefined);
    assert.match(page, /did not give a verified email address/);
    const user = await server.service.store.findUser({ email: "unverified@example.com" });
    assert.equal(user, null, "the address's owner can still register it");
  });

  test("a verified one signs in; once the account is locked by wrong passwords, the provider's sign-in is refused too", {
    timeout: 60_000,
  }, async () => {
    const email = "locked@example.com";
    upstream.signInAs({ sub: "locked", email, email_verified: true });
    const first = new CookieJar();
    assert.equal((await callback(first)).status, 303);
    for (let i = 0; i < 3; i++)
      await request(server.url, "POST", "/sessions", {
        form: { email, password: "wrong-password-guess" },
        headers: { "x-forwarded-for": "127.0.0.1" },
      });
    const locked = await request(server.url, "POST", "/sessions", {
      form: { email, password: "anything-else" },
    });
    assert.equal(locked.status, 429, locked.text);
    const jar = new CookieJar();
    const answer = await callback(jar);
    assert.equal(answer.status, 429, await answer.text());
    assert.equal(jar.get(base, "session_id"), undefined);
  });

  test("a linked identity of an unverified account gets the verify page, its address filled in", {
    timeout: 60_000,
  }, async () => {
    const email = "linked-unverified@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u-unverified" } });
    const user = await server.service.store.findUser({ email });
    assert.ok(user);
    // Linked earlier (as the library could); the account's address is still unverified.
    const { db } = connect({ url: server.databaseUrl });
    try {
      await new KyselySocialStore(db).insertIdentity({
        id: "linked-unverified",
        userId: user.id,
        provider: "up",
        subject: "linked-unverified",
        email: "elsewhere-unverified@example.com",
        linkedAt: new Date(),
      });
    } finally {
      await db.destroy();
    }
    upstream.signInAs({
      sub: "linked-unverified",
      email: "elsewhere-unverified@example.com",
      email_verified: true,
    });
    const jar = new CookieJar();
    const answer = await callback(jar);
    const page = await answer.text();
    assert.equal(answer.status, 403, page);
    assert.match(page, new RegExp(`name="email" value="${email}"`));
    assert.equal(jar.get(base, "session_id"), undefined);
  });
});
