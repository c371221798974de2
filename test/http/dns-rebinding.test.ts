import assert from "node:assert/strict";
import { test } from "node:test";
import { send } from "../helpers/fuzz.js";
import { startTestServer } from "../helpers/server.js";

/**
 * DNS rebinding: a page on rebind.attacker.test, re-pointed at 127.0.0.1,
 * posts to the development server as "same origin" and reads a reset token.
 * On loopback, development serves only requests addressed to this machine.
 */
test("development on loopback answers only to this machine's own host names", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer({});
  try {
    const port = new URL(server.url).port;
    const post = (host: string) =>
      send(server.url, {
        method: "POST",
        path: "/reset_password",
        headers: {
          host,
          origin: `http://${host}`,
          "sec-fetch-site": "same-origin",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: Buffer.from("email=bob%40example.com"),
      });
    const rebound = await post(`rebind.attacker.test:${port}`);
    const trusted = await startTestServer({ TRUST_PROXY: "1" });
    try {
      const forwarded = await send(trusted.url, {
        method: "GET",
        path: "/",
        headers: { host: "rebind.attacker.test", "x-forwarded-host": "localhost" },
        body: undefined,
      });
      assert.equal(forwarded.status, 421, "X-Forwarded-Host does not stand in for Host");
    } finally {
      await trusted.close();
    }
    assert.equal(rebound.status, 421);
    assert.match(rebound.body, /"error":"misdirected_request"/);
    assert.ok(!rebound.body.includes("reset_token"));
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `0.0.0.0:${port}`,
      `[::1]:${port}`,
    ]) {
      const own = await post(host);
      assert.equal(own.status, 403, `${host}: reached the route (unregistered email)`);
    }
  } finally {
    await server.close();
  }
});

test("a service exposed on purpose (HOST=0.0.0.0) or in production answers any host name", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer({ HOST: "0.0.0.0" });
  try {
    const answer = await send(server.url.replace("0.0.0.0", "127.0.0.1"), {
      method: "GET",
      path: "/",
      headers: { host: "auth.internal.example" },
      body: undefined,
    });
    assert.equal(answer.status, 200);
  } finally {
    await server.close();
  }
});
