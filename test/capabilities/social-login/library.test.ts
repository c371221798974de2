import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createAuth } from "../../../src/main/create-auth.js";
import { tempDir } from "../../helpers/server.js";
import { CookieJar } from "./jar.js";
import { startUpstream } from "./upstream.js";

test("the library: createAuth's auth.socialLogin runs a flow served by the caller's own routes", {
  timeout: 60_000,
}, async () => {
  const folder = tempDir();
  const redirectUri = "http://localhost:3999/auth/callback";
  const upstream = await startUpstream([redirectUri]);
  const { auth, close } = await createAuth({ databaseUrl: `sqlite:${join(folder.dir, "lib.db")}` });
  try {
    await auth.socialLogin.providers.add({
      id: "up",
      name: "Upstream",
      kind: "oidc",
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
    assert.equal(
      JSON.stringify(await auth.socialLogin.providers.list()).includes(upstream.clientSecret),
      false,
    );
    upstream.signInAs({ sub: "lib-user", email: "lib@example.com", email_verified: true });
    const started = await auth.socialLogin.start("up", { redirectUri });
    assert.ok(started);
    // The browser's trip to the provider and back (stopped at the app's callback).
    const jar = new CookieJar();
    const trip = await jar.follow(started.url.href, (url) => url.href.startsWith(redirectUri));
    const query = new URL(trip.stoppedAt ?? "").searchParams;
    const client = { ip: "127.0.0.1" };
    // Another browser's state (none, or not this one): refused, and the flow stays for its own.
    assert.equal(await auth.socialLogin.verifyCallback("up", query, undefined, client), null);
    assert.equal(await auth.socialLogin.verifyCallback("up", query, "A".repeat(43), client), null);
    const ok = await auth.socialLogin.verifyCallback("up", query, started.state, client);
    assert.ok(ok);
    assert.equal(
      JSON.stringify(ok).includes(upstream.clientSecret),
      false,
      "no secret handed back",
    );
    assert.equal(
      await auth.socialLogin.verifyCallback("up", query, started.state, client),
      null,
      "once",
    );
    const admitted = await auth.socialLogin.admit(ok, client);
    assert.equal(admitted.kind, "session");
    if (admitted.kind !== "session") return;
    assert.equal(
      (await auth.getUserFromSessionId(admitted.result.sessionToken))?.email,
      "lib@example.com",
    );
  } finally {
    await close();
    await upstream.close();
    folder.remove();
  }
});
