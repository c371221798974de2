import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// A real cost, so a skipped verification (~1 ms) would stand out against a
// performed one (~50 ms) far beyond the machine's noise.
let server: TestServer;
before(async () => {
  server = await startTestServer({ BCRYPT_COST: "10" });
});
after(async () => {
  await server.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(
  form: Record<string, string>,
): Promise<{ ms: number; status: number; text: string }> {
  const start = performance.now();
  const r = await request(server.url, "POST", "/sessions", { form });
  return { ms: performance.now() - start, status: r.status, text: r.text };
}

test("unknown email and wrong password: same status, same body, comparable time", async () => {
  const email = "timing@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "right-password" } });
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 7; i++) {
    const a = await timed({ email, password: `wrong-password-${i}` });
    const b = await timed({ email: `ghost${i}@example.com`, password: `wrong-password-${i}` });
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.equal(a.text, b.text);
    wrong.push(a.ms);
    unknown.push(b.ms);
  }
  const ratio = median(unknown) / median(wrong);
  assert.ok(
    ratio > 0.5 && ratio < 2,
    `unknown/wrong median time ratio ${ratio.toFixed(2)} (${median(unknown).toFixed(1)} ms vs ${median(wrong).toFixed(1)} ms)`,
  );
});
