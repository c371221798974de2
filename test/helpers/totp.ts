import assert from "node:assert/strict";
import { totpCode } from "../../src/capabilities/second-factor/totp.js";
import { request } from "./http.js";

/** A six-digit code that is none of the secret's codes around now (one step of drift, and the next). */
export function wrongTotpCode(secret: string): string {
  const near = [-1, 0, 1, 2].map((steps) =>
    totpCode(secret, new Date(Date.now() + steps * 30_000)),
  );
  return ["000000", "111111", "222222", "333333", "444444"].find((c) => !near.includes(c)) ?? "";
}

/**
 * Turns TOTP on for the signed-in user of `cookie` through the API (setup,
 * then confirm with the current code and the password): its secret and the
 * recovery codes the confirmation shows.
 */
export async function turnOnTotp(
  url: string,
  cookie: string,
  password: string,
  now: Date = new Date(),
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await request(url, "POST", "/mfa/totp/setup", { cookie });
  assert.equal(setup.status, 200, setup.text);
  const { secret } = setup.body as { secret: string };
  const confirmed = await request(url, "POST", "/mfa/totp/confirm", {
    cookie,
    json: { code: totpCode(secret, now), password },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  return { secret, recoveryCodes: (confirmed.body as { recovery_codes: string[] }).recovery_codes };
}
