import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../src/main/config.js";
import {
  developmentKeyPath,
  loadOrCreateKeyFile,
  resolveSecretKey,
} from "../../src/main/secret-key-file.js";
import {
  generateSecretKey,
  parseSecretKey,
  SecretBox,
  SecretBoxOpenError,
  SecretKeyFormatError,
} from "../../src/platform/crypto/secret-box.js";
import { tempDir } from "../helpers/server.js";

const SECRET = "whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1hcHBlYXI=";

test("sealed: opens to the secret, and holds no trace of it", { timeout: 10_000 }, () => {
  const box = new SecretBox(parseSecretKey(generateSecretKey()));
  const sealed = box.seal(SECRET, "webhook");
  assert.equal(box.open(sealed, "webhook").toString(), SECRET);
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  const bytes = Buffer.from(sealed);
  for (const form of [SECRET, SECRET.slice(6), Buffer.from(SECRET).toString("base64url")]) {
    assert.equal(bytes.includes(form), false, form);
  }
  // A fresh IV each time: the same secret never seals to the same text.
  assert.notEqual(box.seal(SECRET, "webhook"), sealed);
});

test("tampering, a wrong key or another context: refused", { timeout: 10_000 }, () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal(SECRET, "webhook");
  const [version, iv, tag, ciphertext] = sealed.split(".") as [string, string, string, string];
  const flipped = Buffer.from(ciphertext, "base64url");
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const tampered = [
    [version, iv, tag, flipped.toString("base64url")].join("."),
    [version, randomBytes(12).toString("base64url"), tag, ciphertext].join("."),
    [version, iv, randomBytes(16).toString("base64url"), ciphertext].join("."),
    ["v2", iv, tag, ciphertext].join("."),
    `${sealed}.x`,
    "",
  ];
  for (const value of tampered) {
    assert.throws(() => box.open(value, "webhook"), SecretBoxOpenError, value);
  }
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, "webhook"), SecretBoxOpenError);
  assert.throws(() => box.open(sealed, "totp"), SecretBoxOpenError);
});

test("SECRET_KEY: 64 hex characters or 32+ bytes of base64", { timeout: 10_000 }, () => {
  assert.equal(parseSecretKey("ab".repeat(32)).length, 32);
  assert.equal(parseSecretKey(randomBytes(32).toString("base64")).length, 32);
  assert.equal(parseSecretKey(randomBytes(48).toString("base64url")).length, 48);
  for (const bad of [
    "",
    "short",
    "ab".repeat(31),
    randomBytes(31).toString("base64"),
    "g!".repeat(32),
  ]) {
    assert.throws(() => parseSecretKey(bad), SecretKeyFormatError, bad);
  }
});

test("development keeps one generated key beside the SQLite file, mode 0600", {
  timeout: 10_000,
}, () => {
  const { dir, remove } = tempDir();
  try {
    const url = `sqlite:${join(dir, "auth.db")}`;
    const path = developmentKeyPath(url);
    assert.equal(path, join(dir, "auth.db.secret-key"));
    const first = resolveSecretKey(undefined, "development", url);
    assert.equal(first.file, path);
    assert.equal(statSync(path as string).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateKeyFile(path as string), first.key, "the same key on every start");
    assert.equal(developmentKeyPath("sqlite::memory:"), null);
    assert.match(developmentKeyPath("postgres://u@db/auth") ?? "", /\.auth-service-secret-key$/);
    assert.throws(() => resolveSecretKey(undefined, "production", url), ConfigError);
  } finally {
    remove();
  }
});
