import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { forbiddenImport } from "./layers.js";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The project files a source file imports (type-only imports included: they tie modules too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"/gms),
    ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
  ].map((match) => match[1] ?? "");
  return specifiers.map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string) => relative(SRC, file);

test("every relative import names a source file that exists", () => {
  const known = new Set(files);
  for (const [file, imports] of graph)
    for (const target of imports)
      assert.ok(
        known.has(target) || (target.endsWith(".json") && existsSync(target)),
        `${name(file)} imports ${name(target)}, which is not in src/`,
      );
});

test("no import cycles in src/", () => {
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(" -> "));
      return;
    }
    state.set(file, "visiting");
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, "done");
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("no source file over 400 lines", () => {
  const long = files
    .map((file) => [name(file), readFileSync(file, "utf8").split("\n").length] as const)
    .filter(([, lines]) => lines > 400);
  assert.deepEqual(long, []);
});

test("the layer rule refuses a capability importing another, and the layers upward", () => {
  assert.match(
    forbiddenImport("capabilities/passkeys/routes.ts", "capabilities/second-factor/totp.ts") ?? "",
    /a capability never imports another/,
  );
  assert.match(forbiddenImport("core/sign-in.ts", "capabilities/webhooks/events.ts") ?? "", /core/);
  assert.match(forbiddenImport("platform/db/connect.ts", "core/user.ts") ?? "", /platform/);
  assert.match(forbiddenImport("capabilities/audit/audit.ts", "main/auth.ts") ?? "", /main/);
  assert.equal(forbiddenImport("capabilities/audit/audit.ts", "capabilities/audit/store.ts"), null);
  assert.equal(forbiddenImport("capabilities/audit/audit.ts", "core/events.ts"), null);
  assert.equal(forbiddenImport("main/app.ts", "capabilities/audit/audit.ts"), null);
});

test("every import in src/ follows the layer rule", () => {
  const broken = [...graph].flatMap(([file, imports]) =>
    imports
      .map((target) => forbiddenImport(name(file), name(target)))
      .filter((why) => why !== null),
  );
  assert.deepEqual(broken, []);
});
