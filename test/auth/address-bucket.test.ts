import assert from "node:assert/strict";
import { test } from "node:test";
import { addressBucket } from "../../src/core/address-bucket.js";

test("IPv6 addresses count by their /64, however they are spelled; IPv4 by the address", () => {
  const one = addressBucket("2001:db8:1:1::1");
  assert.equal(one, "2001:db8:1:1::/64");
  for (const same of [
    "2001:db8:1:1::2",
    "2001:DB8:1:1:0:0:0:1",
    "2001:0db8:0001:0001:ffff:ffff:ffff:ffff",
    "2001:db8:1:1::1%eth0",
    "2001:db8:1:1::192.0.2.1",
  ]) {
    assert.equal(addressBucket(same), one, same);
  }
  assert.notEqual(addressBucket("2001:db8:1:2::1"), one);
  assert.equal(addressBucket("::1"), "0:0:0:0::/64");
  assert.equal(addressBucket("203.0.113.7"), "203.0.113.7");
  assert.equal(addressBucket("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(addressBucket("::FFFF:203.0.113.7"), "203.0.113.7");
});
