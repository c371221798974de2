import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The README's library examples compile as printed, against the package's
 * own exports (`auth-service` resolves to src/index.ts here): a type the
 * examples need that is not exported, or an option that does not exist,
 * fails this test.
 */
test("the README's TypeScript examples compile against the package's exports", {
  timeout: 90_000,
}, () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const library = readme.slice(
    readme.indexOf("## Library"),
    readme.indexOf("\n## ", readme.indexOf("## Library") + 1),
  );
  const blocks = [...library.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  assert.ok(blocks.length >= 2, `examples found: ${blocks.length}`);
  const dir = mkdtempSync(join(ROOT, ".readme-snippets-"));
  try {
    const files = blocks.map((block, index) => {
      const file = `example-${index}.ts`;
      // Each block is a module of its own; "auth-service" is this package.
      const source = block.replaceAll('from "auth-service"', 'from "../src/index.js"');
      writeFileSync(join(dir, file), `${source}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: "../tsconfig.json",
        compilerOptions: { noEmit: true, rootDir: "..", noUnusedLocals: false },
        include: files,
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir],
      {
        encoding: "utf8",
        timeout: 80_000,
      },
    );
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
