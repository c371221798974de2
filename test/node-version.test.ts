import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { MINIMUM_NODE_MAJOR, unsupportedNodeMessage } from "../src/main/node-version.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The machine's own Node.js (Debian's), older than the service supports where this suite runs. */
const SYSTEM_NODE = "/usr/bin/node";

function systemNodeVersion(): string | null {
  if (!existsSync(SYSTEM_NODE)) return null;
  return execFileSync(SYSTEM_NODE, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
}

function oldNodeSkipReason(): string | false {
  const version = systemNodeVersion();
  if (version === null) return `no ${SYSTEM_NODE} on this machine`;
  if (Number.parseInt(version, 10) >= MINIMUM_NODE_MAJOR)
    return `${SYSTEM_NODE} is ${version}, which the service supports: no old release to try`;
  return false;
}

test("the minimum is package.json's engines, and npm refuses to install below it", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.equal(manifest.engines.node, `>=${MINIMUM_NODE_MAJOR}`);
  assert.match(readFileSync(join(ROOT, ".npmrc"), "utf8"), /^engine-strict=true$/m);
});

test("the check refuses releases below the minimum and accepts the rest", () => {
  for (const version of ["18.20.4", "20.19.2", "21.7.3"]) {
    assert.equal(
      unsupportedNodeMessage(version),
      `auth-service: Node.js ${version} is not supported: it needs Node.js 22 or later (package.json engines: >=22)`,
    );
  }
  for (const version of ["22.0.0", "22.12.0", "24.21.0", "26.0.0"])
    assert.equal(unsupportedNodeMessage(version), null, version);
});

test("the built CLI on the machine's old Node prints one line naming the release needed, exit 1", {
  skip: oldNodeSkipReason(),
}, () => {
  // dist/ as `npm start` would have it: rebuilt when a source is newer.
  const build = spawnSync(process.execPath, [join(ROOT, "scripts/build-if-stale.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(build.status, 0, build.stderr);
  const version = systemNodeVersion();
  // Without the check, Node 20 loads better-sqlite3 and dies of SIGSEGV, silently.
  for (const args of [["serve"], ["--help"], ["user", "list"]]) {
    const result = spawnSync(SYSTEM_NODE, [join(ROOT, "dist/cli.js"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.signal, null, `${args.join(" ")}: killed by ${result.signal}`);
    assert.equal(result.status, 1, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      `auth-service: Node.js ${version} is not supported: it needs Node.js 22 or later (package.json engines: >=22)\n`,
    );
  }
});
