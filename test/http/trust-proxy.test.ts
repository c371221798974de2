import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/main/config.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";

/**
 * The address a server records for a login sent with this X-Forwarded-For
 * (the test connects from 127.0.0.1), read back from the session list.
 */
async function recordedAddress(trustProxy: string, forwardedFor: string): Promise<string> {
  const server = await startTestServer({ TRUST_PROXY: trustProxy });
  try {
    const form = { email: "proxied@example.com", password: "b4l0u" };
    const headers = { "x-forwarded-for": forwardedFor };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const login = await request(server.url, "POST", "/sessions", { form, headers });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const list = await request(server.url, "GET", "/sessions", { cookie });
    const sessions = (list.body as { sessions: Array<{ ip: string }> }).sessions;
    return sessions[0]?.ip ?? "";
  } finally {
    await server.close();
  }
}

// The client (spoofing) wrote 6.6.6.6; the proxies appended the rest.
const CHAIN = "6.6.6.6, 203.0.113.7, 10.0.0.2";

test("which address is believed for each TRUST_PROXY setting", async () => {
  const cases: Array<[string, string, string]> = [
    ["false", CHAIN, "127.0.0.1"],
    ["1", CHAIN, "10.0.0.2"],
    ["2", CHAIN, "203.0.113.7"],
    // The peer is a trusted proxy, and so is 10.0.0.2: the client is the next one left.
    ["127.0.0.1, 10.0.0.0/8", CHAIN, "203.0.113.7"],
    // The peer (127.0.0.1) is not in the list: nothing it forwards is believed.
    ["10.0.0.0/8", CHAIN, "127.0.0.1"],
    ["loopback", "198.51.100.9", "198.51.100.9"],
  ];
  for (const [setting, header, expected] of cases) {
    assert.equal(await recordedAddress(setting, header), expected, `TRUST_PROXY=${setting}`);
  }
});

test("with TRUST_PROXY=1 a client's own X-Forwarded-For entries change nothing", async () => {
  // What a proxy appends to a client-written header: the real client is last.
  assert.equal(await recordedAddress("1", "1.2.3.4, 127.0.0.1"), "127.0.0.1");
  assert.equal(await recordedAddress("1", "9.9.9.9,8.8.8.8, 192.0.2.1"), "192.0.2.1");
});

test("an entry written with its port counts as its address", async () => {
  assert.equal(await recordedAddress("1", "203.0.113.9:4431"), "203.0.113.9");
  assert.equal(await recordedAddress("1", "[2001:db8::5]:443"), "2001:db8::5");
});

test("an entry that is not an IP address is never recorded: the peer's address stands in", async () => {
  assert.equal(await recordedAddress("1", "<script>alert(1)</script>"), "127.0.0.1");
  assert.equal(await recordedAddress("1", "1.2.3.4, not-an-ip"), "127.0.0.1");
});

test("TRUST_PROXY: true is refused, a hop count and proxy lists are read", () => {
  assert.throws(() => loadConfig({ TRUST_PROXY: "true" }), /TRUST_PROXY=true would believe/);
  assert.throws(() => loadConfig({ TRUST_PROXY: "10.0.0.0/33" }), /TRUST_PROXY must be/);
  assert.throws(() => loadConfig({ TRUST_PROXY: "proxy.example" }), /TRUST_PROXY must be/);
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: "false" }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: "2" }).trustProxy, 2);
  assert.deepEqual(loadConfig({ TRUST_PROXY: "10.0.0.1, fd00::/8" }).trustProxy, [
    "10.0.0.1",
    "fd00::/8",
  ]);
});
