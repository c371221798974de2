import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../../src/main/config.js";

test("SECRET_KEY and the webhook timings are read; a bad key is named, never echoed", {
  timeout: 10_000,
}, () => {
  const key = "0123456789abcdef".repeat(4);
  const config = loadConfig({
    SECRET_KEY: key,
    WEBHOOK_TIMEOUT: "3s",
    WEBHOOK_RETRY_BASE: "250ms",
    WEBHOOK_RETRY_FOR: "2h",
  });
  assert.equal(config.secretKey, key);
  assert.deepEqual(config.webhooks, {
    timeoutMs: 3000,
    retryBaseMs: 250,
    retryForMs: 7_200_000,
    allowedHosts: [],
  });
  assert.ok(Object.isFrozen(config.webhooks));

  const defaults = loadConfig({});
  assert.equal(defaults.secretKey, undefined);
  assert.deepEqual(defaults.webhooks, {
    timeoutMs: 10_000,
    retryBaseMs: 5000,
    retryForMs: 86_400_000,
    allowedHosts: [],
  });

  for (const bad of ["too-short-a-key", "ab".repeat(31), "Zm9v"]) {
    assert.throws(
      () => loadConfig({ SECRET_KEY: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => problem.startsWith("SECRET_KEY must be")) &&
        !error.message.includes(bad),
    );
  }
});
