import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers/server.js";

const MODULE = new URL("../src/platform/runtime/tick-object-maps.ts", import.meta.url).href;

/**
 * A child that (optionally) keeps a nextTick entry alive as `serve` does, uses
 * nextTick enough for V8 to record feedback, lets several full collections
 * pass while no entry is alive (what an idle spell does), uses nextTick again,
 * and prints nextTick's feedback (V8's %DebugPrint, in Node's release builds).
 */
const WORKLOAD = `
if (process.env.KEEP) (await import(process.env.MODULE)).keepTickObjectMapsAlive();
const round = () => new Promise((resolve) => {
  for (let i = 0; i < 200; i++) process.nextTick(() => {});
  process.nextTick(resolve);
});
const pause = () => new Promise((resolve) => setTimeout(resolve, 10));
for (let i = 0; i < 20; i++) await round();
for (let i = 0; i < 6; i++) { await pause(); globalThis.gc(); }
for (let i = 0; i < 5; i++) await round();
%DebugPrint(process.nextTick);
`;

/**
 * The states of nextTick's DefineKeyedOwnPropertyInLiteral feedback slots.
 * The child prints into a file: through a pipe, part of V8's output (written
 * with C stdio, beside Node's own stdout handling) was seen to go missing.
 */
function literalSlotStates(keep: boolean): string[] {
  const folder = tempDir();
  const path = join(folder.dir, "feedback.txt");
  const out = openSync(path, "w");
  const result = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--allow-natives-syntax",
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      WORKLOAD,
    ],
    {
      env: { PATH: process.env.PATH ?? "", MODULE, ...(keep ? { KEEP: "1" } : {}) },
      stdio: ["ignore", out, "pipe"],
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  closeSync(out);
  const printed = readFileSync(path, "utf8");
  folder.remove();
  assert.equal(result.status, 0, result.stderr);
  return [...printed.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map(
    (match) => match[1] ?? "",
  );
}

test("a kept nextTick entry keeps nextTick's literal monomorphic through idle collections", () => {
  const without = literalSlotStates(false);
  assert.ok(
    without.includes("MEGAMORPHIC"),
    `idle collections make the literal megamorphic without a kept entry: ${without.join(", ")}`,
  );
  const kept = literalSlotStates(true);
  assert.ok(kept.length >= 3, `feedback printed: ${kept.join(", ")}`);
  assert.deepEqual(
    kept.filter((state) => state !== "MONOMORPHIC"),
    [],
    `with a kept entry: ${kept.join(", ")}`,
  );
});
