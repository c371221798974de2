import assert from "node:assert/strict";
import { test } from "node:test";
import { sessionExpiry, sessionState } from "../../src/core/session.js";
import { generateToken, hashToken } from "../../src/core/token.js";

const policy = { sessionAbsoluteLifetime: 1000, sessionIdleTimeout: 300, sessionRenewInterval: 60 };

test("sessionState: valid, renew, idle-expired, absolutely expired", () => {
  const start = new Date(0);
  const session = { lastSeenAt: start, expiresAt: sessionExpiry(start, policy) };
  assert.equal(sessionState(session, new Date(59), policy), "valid");
  assert.equal(sessionState(session, new Date(60), policy), "renew");
  assert.equal(sessionState(session, new Date(300), policy), "expired");
  const active = { lastSeenAt: new Date(990), expiresAt: session.expiresAt };
  assert.equal(sessionState(active, new Date(999), policy), "valid");
  assert.equal(sessionState(active, new Date(1000), policy), "expired");
});

test("tokens: 256 random bits, base64url; hashes are SHA-256 hex", () => {
  const tokens = new Set(Array.from({ length: 1000 }, () => generateToken()));
  assert.equal(tokens.size, 1000);
  for (const token of tokens) assert.equal(Buffer.from(token, "base64url").length, 32);
  assert.equal(
    hashToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
