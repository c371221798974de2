import assert from "node:assert/strict";
import { test } from "node:test";
import { internalKindOf } from "../../../src/platform/net/address-ranges.js";
import { checkedLookup, RefusedTargetError } from "../../../src/platform/net/checked-lookup.js";
import { OutboundTargetPolicy, parseAllowedHost } from "../../../src/platform/net/target-policy.js";

test("internal addresses by kind, IPv4 carried in IPv6 included; public ones are not", () => {
  const kinds: Record<string, string | null> = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.0.10": "private",
    "100.64.0.1": "private",
    "100.127.255.254": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "fd00::1": "unique-local",
    "fc12:3456::1": "unique-local",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "reserved",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:7f00:1": "loopback",
    "::ffff:a9fe:a9fe": "link-local",
    "::ffff:10.0.0.1": "private",
    "64:ff9b::7f00:1": "loopback",
    "2002:a00:1::1": "private",
    "::7f00:1": "reserved",
    "::ffff:0:7f00:1": "reserved",
    "64:ff9b:1::a00:1": "reserved",
    "8.8.8.8": null,
    "203.0.113.7": null,
    "172.32.0.1": null,
    "100.128.0.1": null,
    "2001:db8::1": null,
    "::ffff:8.8.8.8": null,
    "not an address": null,
  };
  for (const [address, kind] of Object.entries(kinds)) {
    assert.equal(internalKindOf(address), kind, address);
  }
});

test("URL hosts in every spelling the URL parser turns into an address are judged as that address", () => {
  const policy = new OutboundTargetPolicy({ mode: "production" });
  for (const url of [
    "http://2130706433/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1:6379/",
    "http://[::ffff:127.0.0.1]:5432/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://[::]/",
    "http://0/",
  ]) {
    assert.ok(policy.refusalOfUrlHost(new URL(url)), url);
  }
  assert.equal(policy.refusalOfUrlHost(new URL("https://hooks.example.com/in")), null);
  assert.equal(policy.isResolvedName(new URL("https://hooks.example.com/in")), true);
  assert.equal(policy.isResolvedName(new URL("http://2130706433/")), false);
});

test("development allows loopback only; WEBHOOK_ALLOWED_HOSTS entries allow names, addresses and ranges", () => {
  const development = new OutboundTargetPolicy({ mode: "development" });
  assert.equal(development.refusalOf("127.0.0.1", "127.0.0.1"), null);
  assert.equal(development.refusalOf("localhost", "::1"), null);
  assert.equal(development.refusalOf("10.0.0.1", "10.0.0.1"), "private");
  assert.equal(development.refusalOf("169.254.169.254", "169.254.169.254"), "link-local");

  const listed = new OutboundTargetPolicy({
    mode: "production",
    allowedHosts: ["Hooks.Internal.", "10.0.5.0/24", "[fd00::7]", "127.0.0.1"],
  });
  assert.equal(listed.refusalOf("hooks.internal", "10.9.9.9"), null, "a listed name, any address");
  assert.equal(listed.refusalOf("other.internal", "10.0.5.20"), null, "a listed range");
  assert.equal(listed.refusalOf("other.internal", "10.0.6.20"), "private");
  assert.equal(listed.refusalOf("fd00::7", "fd00::7"), null);
  assert.equal(listed.refusalOf("::ffff:127.0.0.1", "::ffff:127.0.0.1"), null, "mapped form");
  assert.equal(listed.refusalOf("127.0.0.2", "127.0.0.2"), "loopback");

  for (const good of ["hooks.internal", "10.0.0.0/8", "::1", "[::1]", "fd00::/8", "a_b.local"])
    assert.ok(parseAllowedHost(good), good);
  for (const bad of ["10.0.0.0/33", "::/129", "http://x", "a b", "x/8", "-bad.", "1.2.3.4/8/9", ""])
    assert.equal(parseAllowedHost(bad), null, bad);
  assert.throws(() => new OutboundTargetPolicy({ mode: "production", allowedHosts: ["a b"] }));
});

test("the checked lookup refuses a name when any of its addresses is internal, and hands over exactly what it checked", async () => {
  const policy = new OutboundTargetPolicy({ mode: "production" });
  // Stands in for DNS: what each name resolves to at this moment.
  const records: Record<string, Array<{ address: string; family: number }>> = {
    "public.example": [{ address: "203.0.113.7", family: 4 }],
    "mixed.example": [
      { address: "203.0.113.7", family: 4 },
      { address: "10.0.0.8", family: 4 },
    ],
    "mapped.example": [{ address: "::ffff:169.254.169.254", family: 6 }],
  };
  const lookup = checkedLookup(async (name) => records[name] ?? [], policy);
  const run = (name: string, all: boolean) =>
    new Promise<{ error: unknown; address: unknown }>((resolve) =>
      lookup(name, { all, family: 0 }, (error, address) => resolve({ error, address })),
    );
  assert.deepEqual(await run("public.example", true), {
    error: null,
    address: [{ address: "203.0.113.7", family: 4 }],
  });
  assert.deepEqual(await run("public.example", false), { error: null, address: "203.0.113.7" });
  for (const name of ["mixed.example", "mapped.example"]) {
    const { error } = await run(name, true);
    assert.ok(error instanceof RefusedTargetError, name);
  }
  assert.equal(((await run("nowhere.example", true)).error as { code?: string }).code, "ENOTFOUND");
});
