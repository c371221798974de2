import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { commonPasswords, PasswordPolicy } from "../../src/core/password-policy.js";
import { resolveAuthSettings } from "../../src/core/settings.js";

const production = new PasswordPolicy(resolveAuthSettings({ mode: "production" }));
const development = new PasswordPolicy(resolveAuthSettings({ mode: "development" }));

describe("PasswordPolicy", () => {
  test("production: 8 to 128 characters, blocklist on; development: 5, blocklist off", () => {
    assert.throws(() => production.assertAcceptable("b4l0u"), /at least 8 characters/);
    development.assertAcceptable("b4l0u");
    development.assertAcceptable("password"); // the original contract's world
    // bcrypt (the default, as the contract's $2b$ hashes) also caps at 72 bytes;
    // argon2id takes the whole 128 characters.
    const argon = new PasswordPolicy(
      resolveAuthSettings({ mode: "production", passwordHash: "argon2id" }),
    );
    argon.assertAcceptable("x".repeat(64) + "y".repeat(64));
    assert.throws(() => argon.assertAcceptable("xy".repeat(65)), /at most 128 characters/);
    assert.throws(() => production.assertAcceptable("xy".repeat(40)), /72 bytes/);
  });

  test("the blocklist holds at least the 10,000 most common passwords", () => {
    const list = commonPasswords();
    assert.ok(list.size >= 10_000, `${list.size} entries`);
    for (const common of ["123456", "password", "qwerty", "iloveyou", "dragon", "letmein"]) {
      assert.ok(list.has(common), common);
    }
  });

  test("common passwords are refused whatever their case or Unicode form", () => {
    for (const weak of [
      "password",
      "Password",
      "PASSWORD1",
      "12345678",
      "ｐａｓｓｗｏｒｄ",
      "iloveyou",
    ]) {
      assert.throws(() => production.assertAcceptable(weak), /most common passwords/, weak);
    }
    production.assertAcceptable("correct horse battery staple");
  });

  test("white space around a common password does not hide it", () => {
    for (const weak of [" password", "password ", " Password1 ", "\tqwerty\n", "\u3000iloveyou"]) {
      assert.throws(() => production.assertAcceptable(weak), /most common passwords/, weak);
    }
    assert.throws(
      () =>
        production.assertAcceptable(" margaret.hamilton ", {
          email: "margaret.hamilton@example.com",
        }),
      /email/,
    );
  });

  test("the email in any spelling counts as the email (not only its exact text)", () => {
    const email = "max@example.com";
    for (const weak of [
      "MAX@EXAMPLE.COM",
      "max@example",
      "max.example.com",
      "Max.Example.Com1",
      "maxexamplecom",
      "example.com",
    ]) {
      assert.throws(() => production.assertAcceptable(weak, { email }), /email/, weak);
    }
    production.assertAcceptable("maximal example of a passphrase", { email });
  });

  test("the account's own email, or its name part with digits, is refused", () => {
    const email = "Margaret.Hamilton@example.com";
    for (const weak of [
      "margaret.hamilton@example.com",
      "margaret.hamilton",
      "Margaret.Hamilton1969",
    ]) {
      assert.throws(() => production.assertAcceptable(weak, { email }), /email/, weak);
    }
    production.assertAcceptable("hamilton apollo 11", { email });
    development.assertAcceptable("margaret.hamilton", { email });
  });

  test("no composition rules: a long lower-case passphrase passes", () => {
    production.assertAcceptable("tangerine submarine orbit");
    production.assertAcceptable("ünïcödé-ρασσφραση");
  });
});
