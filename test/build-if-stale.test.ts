import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/server.js";

// scripts/build-if-stale.mjs (npm's prestart) in a project of its own: a copy
// of the script, this checkout's node_modules (for tsc), and one source file.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
let project: { dir: string; remove: () => void };

before(() => {
  project = tempDir();
  const { dir } = project;
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "scripts"));
  copyFileSync(join(ROOT, "scripts/build-if-stale.mjs"), join(dir, "scripts/build-if-stale.mjs"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ type: "module", scripts: { build: "tsc -p tsconfig.build.json" } }),
  );
  writeFileSync(
    join(dir, "tsconfig.build.json"),
    JSON.stringify({
      compilerOptions: { module: "NodeNext", rootDir: "src", outDir: "dist", strict: true },
      include: ["src"],
    }),
  );
  writeFileSync(join(dir, "src/cli.ts"), "export const answer: number = 42;\n");
});
after(() => project.remove());

function prestart(): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ["scripts/build-if-stale.mjs"], {
    cwd: project.dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

const built = () => join(project.dir, "dist/cli.js");
/** Moves a file's modification time `seconds` into the past (negative: the future). */
function age(path: string, seconds: number): void {
  const when = new Date(Date.now() - seconds * 1000);
  utimesSync(path, when, when);
}

test("builds when dist/ is missing, then not again until a source changes", () => {
  const first = prestart();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /dist\/cli\.js does not exist: npm run build/);
  assert.match(readFileSync(built(), "utf8"), /answer = 42/);

  age(built(), 60); // an old build, but still newer than the source (aged below)
  age(join(project.dir, "src/cli.ts"), 120);
  age(join(project.dir, "tsconfig.build.json"), 120);
  const before = statSync(built()).mtimeMs;
  const fresh = prestart();
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.equal(fresh.stderr, "", "nothing built, nothing said");
  assert.equal(statSync(built()).mtimeMs, before, "dist/ untouched");

  writeFileSync(join(project.dir, "src/cli.ts"), "export const answer: number = 43;\n");
  const edited = prestart();
  assert.equal(edited.status, 0, edited.stderr);
  assert.match(edited.stderr, /src\/cli\.ts is newer than dist\/: npm run build/);
  assert.match(readFileSync(built(), "utf8"), /answer = 43/);
});

test("a failed build is tried again at the next start", () => {
  writeFileSync(join(project.dir, "src/cli.ts"), 'export const answer: number = "no";\n');
  assert.notEqual(prestart().status, 0, "the type error fails the start");
  // tsc still wrote dist/cli.js; the next start must not take it for a good build.
  const again = prestart();
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /is newer than dist\/: npm run build/);

  writeFileSync(join(project.dir, "src/cli.ts"), "export const answer: number = 44;\n");
  assert.equal(prestart().status, 0);
  assert.equal(prestart().stderr, "", "fixed, built once, then fresh");
});
