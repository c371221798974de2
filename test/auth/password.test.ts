import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as bcrypt from "@node-rs/bcrypt";
import { InvalidPasswordError } from "../../src/core/errors.js";
import { algorithmOf, PasswordHasher } from "../../src/core/password.js";
import { PasswordPolicy } from "../../src/core/password-policy.js";
import { resolveAuthSettings } from "../../src/core/settings.js";

const bcryptHasher = new PasswordHasher(resolveAuthSettings({ bcryptCost: 4 }));
const argonHasher = new PasswordHasher(
  resolveAuthSettings({ passwordHash: "argon2id", argon2MemoryCost: 1024, argon2TimeCost: 1 }),
);

// OpenBSD's bcrypt test vector, as the original service (Python bcrypt) and
// PHP ($2y$) would have stored it.
const VECTOR = "CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

describe("PasswordHasher", () => {
  test("bcrypt is the default, at the configured cost, in $2b$ form", async () => {
    const hash = await bcryptHasher.hash("b4l0u");
    assert.match(hash, /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    assert.equal(await bcryptHasher.verify("b4l0u", hash), true);
    assert.equal(await bcryptHasher.verify("b4l0U", hash), false);
    assert.equal(resolveAuthSettings().bcryptCost, 12, "cost 12 by default, like the original");
  });

  test("verifies $2a$, $2b$ and $2y$ hashes written elsewhere", async () => {
    for (const prefix of ["$2a$05$", "$2b$05$", "$2y$05$"]) {
      assert.equal(await bcryptHasher.verify("U*U", prefix + VECTOR), true, prefix);
      assert.equal(
        await argonHasher.verify("U*U", prefix + VECTOR),
        true,
        `${prefix} under argon2id settings`,
      );
      assert.equal(await bcryptHasher.verify("U*V", prefix + VECTOR), false);
    }
  });

  test("argon2id hashes with the configured parameters and verifies", async () => {
    const hash = await argonHasher.hash("b4l0u");
    assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(await argonHasher.verify("b4l0u", hash), true);
    assert.equal(
      await bcryptHasher.verify("b4l0u", hash),
      true,
      "bcrypt settings still verify argon2id",
    );
    assert.equal(await argonHasher.verify("wrong", hash), false);
  });

  test("an unknown hash format never verifies, and never throws", async () => {
    for (const hash of ["", "plain", "$1$abc$def", "$argon2id$garbage", "$2b$99$x"]) {
      assert.equal(await bcryptHasher.verify("x", hash), false, hash);
    }
  });

  test("no silent truncation: over 72 bytes is refused, and never matches a bcrypt hash", async () => {
    const seventyTwo = "a".repeat(72);
    const bcryptPolicy = new PasswordPolicy(resolveAuthSettings());
    bcryptPolicy.assertAcceptable("a".repeat(72));
    assert.throws(() => bcryptPolicy.assertAcceptable("a".repeat(73)), InvalidPasswordError);
    assert.equal(bcryptHasher.canHash("a".repeat(73)), false);
    assert.throws(
      () => bcryptPolicy.assertAcceptable("é".repeat(37)),
      /72 bytes/,
      "counted in UTF-8 bytes",
    );
    const hash = await bcrypt.hash(seventyTwo, { cost: 4 });
    assert.equal(
      await bcrypt.verify(`${seventyTwo}-anything`, hash),
      true,
      "bcrypt alone would accept it",
    );
    assert.equal(await bcryptHasher.verify(`${seventyTwo}-anything`, hash), false);
    assert.equal(await bcryptHasher.verify(seventyTwo, hash), true);
    // argon2id has no such limit
    new PasswordPolicy(resolveAuthSettings({ passwordHash: "argon2id" })).assertAcceptable(
      "a".repeat(100),
    );
    assert.equal(argonHasher.canHash("a".repeat(100)), true);
  });

  test("length policy counts characters of the NFKC form", () => {
    const policy = new PasswordPolicy(
      resolveAuthSettings({ passwordMinLength: 8, passwordMaxLength: 10 }),
    );
    assert.throws(() => policy.assertAcceptable("1234567"), /at least 8 characters/);
    policy.assertAcceptable("12345678");
    policy.assertAcceptable("😀😀😀😀😀😀😀😀"); // 8 characters, 16 UTF-16 units
    assert.throws(() => policy.assertAcceptable("12345678901"), /at most 10 characters/);
    assert.throws(() => policy.assertAcceptable("ｘｙｚｗ"), /at least 8/, "NFKC first");
  });

  test("Unicode is compared in NFKC form", async () => {
    const hash = await bcryptHasher.hash("ｐａｓｓｗｏｒｄ"); // full-width
    assert.equal(await bcryptHasher.verify("password", hash), true);
    const composed = await bcryptHasher.hash("caf\u00e9-pass");
    assert.equal(await bcryptHasher.verify("cafe\u0301-pass", composed), true);
  });

  test("a hash of the raw bytes (made elsewhere) still verifies", async () => {
    const raw = await bcrypt.hash("ｐａｓｓ-word", { cost: 4 });
    assert.equal(await bcryptHasher.verify("ｐａｓｓ-word", raw), true);
  });

  test("needsRehash follows algorithm and cost", async () => {
    const cost4 = await bcryptHasher.hash("pw");
    assert.equal(bcryptHasher.needsRehash(cost4), false);
    assert.equal(
      new PasswordHasher(resolveAuthSettings({ bcryptCost: 5 })).needsRehash(cost4),
      true,
    );
    assert.equal(argonHasher.needsRehash(cost4), true);
    const argon = await argonHasher.hash("pw");
    assert.equal(argonHasher.needsRehash(argon), false);
    assert.equal(bcryptHasher.needsRehash(argon), true);
    assert.equal(bcryptHasher.needsRehash("garbage"), true);
    assert.equal(algorithmOf(`$2y$05$${VECTOR}`), "bcrypt");
  });

  test("the dummy hash is made once, with the current settings", async () => {
    const hasher = new PasswordHasher(resolveAuthSettings({ bcryptCost: 5 }));
    const first = await hasher.dummyHash();
    assert.equal(await hasher.dummyHash(), first);
    assert.match(first, /^\$2b\$05\$/);
    assert.equal(await hasher.verifyDummy("anything"), false);
  });
});
