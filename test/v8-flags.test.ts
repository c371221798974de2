import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { SERVICE_V8_FLAGS } from "../src/v8-flags.js";

/**
 * A child that sets the given flags at run time (as `serve` does), then keeps
 * alive every object of two literal sites across several scavenges: exactly
 * what makes V8 decide to allocate a site in the old generation.
 */
const WORKLOAD = `
const { setFlagsFromString } = await import("node:v8");
for (const flag of JSON.parse(process.env.FLAGS)) setFlagsFromString(flag);
const kept = [];
const make = (i) => ({ i, inner: { name: "x" }, pair: [i, i] });
for (let i = 0; i < 300000; i++) kept.push(make(i));
`;

/** How many allocation sites V8 decided to pretenure in that child. */
function tenureDecisions(flags: readonly string[]): number {
  const result = spawnSync(
    process.execPath,
    [
      "--trace-pretenuring",
      "--trace-pretenuring-statistics",
      "--input-type=module",
      "-e",
      WORKLOAD,
    ],
    {
      // No loader (tsx) in the child: it would change what the GC sees.
      env: { PATH: process.env.PATH ?? "", FLAGS: JSON.stringify(flags) },
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split("\n").filter((line) => line.endsWith("=> tenure")).length;
}

test("the service's V8 flags, set at run time, stop V8 from pretenuring allocation sites", () => {
  assert.ok(tenureDecisions([]) > 0, "the workload makes V8 pretenure without the flags");
  assert.equal(tenureDecisions(SERVICE_V8_FLAGS), 0);
});
