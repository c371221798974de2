import { totpCode } from "../../src/auth/totp.js";

/** A six-digit code that is none of the secret's codes around now (one step of drift, and the next). */
export function wrongTotpCode(secret: string): string {
  const near = [-1, 0, 1, 2].map((steps) =>
    totpCode(secret, new Date(Date.now() + steps * 30_000)),
  );
  return ["000000", "111111", "222222", "333333", "444444"].find((c) => !near.includes(c)) ?? "";
}
