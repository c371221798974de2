import assert from "node:assert/strict";
import { test } from "node:test";
import { passkeySettings } from "../../../src/capabilities/passkeys/settings.js";
import { ConfigError, loadConfig } from "../../../src/main/config.js";

const PRODUCTION = {
  AUTH_MODE: "production",
  SMTP_URL: "smtp://mail.example.com:587",
  MAIL_FROM: "Example <no-reply@example.com>",
  PUBLIC_URL: "https://auth.example.com",
  SECRET_KEY: "a".repeat(64),
};

/** The problems loadConfig names for this environment (none: it loaded). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
}

test("development: localhost, and the origin of the port listened on", () => {
  const config = loadConfig({ PORT: "0" });
  assert.deepEqual(config.webauthn, {
    rpId: "localhost",
    rpName: "auth-service",
    origins: undefined,
  });
  let port = 0;
  const settings = passkeySettings(config.webauthn, () => port);
  port = 41234;
  assert.deepEqual(settings.origins(), ["http://localhost:41234"]);
});

test("production derives the relying party from PUBLIC_URL", () => {
  const config = loadConfig(PRODUCTION);
  assert.equal(config.webauthn.rpId, "auth.example.com");
  assert.deepEqual(config.webauthn.origins, ["https://auth.example.com"]);
  const parent = loadConfig({ ...PRODUCTION, WEBAUTHN_RP_ID: "example.com" });
  assert.equal(parent.webauthn.rpId, "example.com", "a registrable parent domain is allowed");
});

test("a relying party that does not match refuses to start, naming the problem", () => {
  assert.match(
    problemsOf({ ...PRODUCTION, WEBAUTHN_RP_ID: "other.example" }).join("\n"),
    /WEBAUTHN_RP_ID \(other\.example\) must be PUBLIC_URL's host/,
  );
  assert.match(
    problemsOf({ ...PRODUCTION, WEBAUTHN_ORIGINS: "https://evil.example" }).join("\n"),
    /WEBAUTHN_ORIGINS: https:\/\/evil\.example is not on auth\.example\.com/,
  );
  assert.match(
    problemsOf({ ...PRODUCTION, WEBAUTHN_ORIGINS: "http://auth.example.com" }).join("\n"),
    /must be https/,
  );
  for (const rpId of ["127.0.0.1", "Exa mple.com", "https://example.com"])
    assert.match(
      problemsOf({ WEBAUTHN_RP_ID: rpId }).join("\n"),
      /WEBAUTHN_RP_ID must be a domain name/,
      rpId,
    );
});
