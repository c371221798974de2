import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type AuthService, createAuth } from "../../../src/main/create-auth.js";
import { manualClock } from "../../helpers/clock.js";

let service: AuthService;
const clock = manualClock();
before(async () => {
  service = await createAuth({ databaseUrl: "sqlite::memory:", bcryptCost: 4, now: clock.now });
});
after(() => service.close());

test("a key's last use is written at most once a minute", async () => {
  const { key } = await service.apiKeys.create({ name: "busy", scopes: ["users:read"] });
  const lastUsed = async () =>
    (await service.apiKeys.list()).find((record) => record.name === "busy")?.lastUsedAt?.getTime();
  assert.equal(await lastUsed(), undefined, "never used yet");
  const first = clock.now().getTime();
  assert.equal((await service.apiKeys.check(key)).ok, true);
  assert.equal(await lastUsed(), first);
  clock.advance(59_000);
  assert.equal((await service.apiKeys.check(key)).ok, true);
  assert.equal(await lastUsed(), first, "not rewritten within the minute");
  clock.advance(2_000);
  assert.equal((await service.apiKeys.check(key)).ok, true);
  assert.equal(await lastUsed(), first + 61_000);
});

test("keys: bad names, scopes and expiries are refused; an expired key fails its check", async () => {
  await assert.rejects(
    service.apiKeys.create({ name: "has space", scopes: ["users:read"] }),
    RangeError,
  );
  await assert.rejects(service.apiKeys.create({ name: "x", scopes: ["root"] }), RangeError);
  await assert.rejects(service.apiKeys.create({ name: "x", scopes: [] }), RangeError);
  await assert.rejects(
    service.apiKeys.create({ name: "x", scopes: ["users:read"], expiresAt: new Date(0) }),
    RangeError,
  );
  const expiresAt = new Date(clock.now().getTime() + 60_000);
  const { key } = await service.apiKeys.create({
    name: "short",
    scopes: ["audit:read"],
    expiresAt,
  });
  assert.equal((await service.apiKeys.check(key)).ok, true);
  clock.advance(60_000);
  assert.deepEqual(await service.apiKeys.check(key), { ok: false, reason: "expired" });
  assert.deepEqual(await service.apiKeys.check(`${key}x`), { ok: false, reason: "unknown" });
});
