import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  findRecoveryCode,
  hashRecoveryCodes,
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from "../../../src/capabilities/second-factor/recovery-codes.js";
import {
  matchTotp,
  newTotpSecret,
  timeStepAt,
  totpCode,
  totpUri,
} from "../../../src/capabilities/second-factor/totp.js";

/** RFC 6238 Appendix B, SHA-1 rows: the key is the 20 ASCII bytes "1234567890" twice. */
const RFC_KEY = new TextEncoder().encode("12345678901234567890");
const RFC_VECTORS = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
] as const;
/** The same key in base32, as a secret is stored and typed. */
const RFC_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("TOTP (RFC 6238)", () => {
  for (const [seconds, expected] of RFC_VECTORS) {
    test(`Appendix B at T=${seconds}: ${expected}`, () => {
      const at = new Date(seconds * 1000);
      assert.equal(totpCode(RFC_KEY, at, 8), expected);
      // Six digits are the same truncation's last six, and what the login checks.
      assert.equal(totpCode(RFC_KEY_BASE32, at), expected.slice(2));
      assert.equal(matchTotp(RFC_KEY_BASE32, expected.slice(2), at, null), timeStepAt(at));
    });
  }

  test("one step of drift either side is accepted, two are not", () => {
    const secret = newTotpSecret();
    const now = new Date("2026-03-01T12:00:10Z");
    const code = (offsetSteps: number) =>
      totpCode(secret, new Date(now.getTime() + offsetSteps * 30_000));
    assert.equal(matchTotp(secret, code(-1), now, null), timeStepAt(now) - 1);
    assert.equal(matchTotp(secret, code(1), now, null), timeStepAt(now) + 1);
    assert.equal(matchTotp(secret, code(-2), now, null), null);
    assert.equal(matchTotp(secret, code(2), now, null), null);
  });

  test("a code of the last used step, or an earlier one, is refused", () => {
    const secret = newTotpSecret();
    const now = new Date("2026-03-01T12:00:10Z");
    const step = timeStepAt(now);
    assert.equal(matchTotp(secret, totpCode(secret, now), now, step), null);
    assert.equal(matchTotp(secret, totpCode(secret, now), now, step - 1), step);
  });

  test("anything but six digits is refused without a lookup", () => {
    const secret = newTotpSecret();
    for (const code of ["", "12345", "1234567", "12 345", "abcdef", "１２３４５６"]) {
      assert.equal(matchTotp(secret, code, new Date(), null), null, code);
    }
  });

  test("the otpauth URI carries the RFC defaults every app reads", () => {
    const uri = new URL(
      totpUri("JBSWY3DPEHPK3PXP", { issuer: "Acme", account: "bob@example.com" }),
    );
    assert.equal(uri.protocol, "otpauth:");
    assert.equal(uri.host, "totp");
    assert.equal(decodeURIComponent(uri.pathname), "/Acme:bob@example.com");
    assert.equal(uri.searchParams.get("secret"), "JBSWY3DPEHPK3PXP");
    assert.equal(uri.searchParams.get("issuer"), "Acme");
    for (const [name, value] of [
      ["algorithm", "SHA1"],
      ["digits", "6"],
      ["period", "30"],
    ]) {
      const given = uri.searchParams.get(name as string);
      assert.ok(given === null || given === value, `${name}=${given}`);
    }
  });
});

describe("recovery codes", () => {
  test("ten distinct codes of 50 bits, easy to type", () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  test("typing is forgiving: case, spaces, dashes, and look-alike letters", () => {
    assert.equal(normalizeRecoveryCode("AB1CD-EF0GH"), "ab1cdef0gh");
    assert.equal(normalizeRecoveryCode(" abicd efogh "), "ab1cdef0gh");
    assert.equal(normalizeRecoveryCode("ablcd-ef0gh"), "ab1cdef0gh");
    assert.equal(normalizeRecoveryCode("abcd-efgh"), null);
    assert.equal(normalizeRecoveryCode("abcdu-efghj"), null, "u is not in the alphabet");
  });

  test("hashed with a salt, found by the typed code, never stored in clear", async () => {
    const codes = newRecoveryCodes();
    const { salt, hashes } = await hashRecoveryCodes(codes);
    for (const hash of hashes) {
      for (const code of codes) assert.ok(!hash.includes(code.replace("-", "")));
    }
    assert.equal(await findRecoveryCode(codes[3] ?? "", salt, hashes), 3);
    assert.equal(await findRecoveryCode((codes[7] ?? "").toUpperCase(), salt, hashes), 7);
    assert.equal(await findRecoveryCode(newRecoveryCodes()[0] ?? "", salt, hashes), -1);
    // Another batch's salt makes other hashes of the same codes.
    const again = await hashRecoveryCodes(codes);
    assert.notEqual(again.salt, salt);
    assert.notDeepEqual(again.hashes, hashes);
  });
});
