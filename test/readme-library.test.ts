import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, readDocuments } from "./helpers/docs.js";

/**
 * How many library examples the documents hold today: fewer means one was
 * lost in an edit. Raise it as examples are added.
 */
const AT_LEAST = 2;

/**
 * The library examples of README.md and docs/**\/*.md (every ```ts block that
 * imports from "auth-service") compile as printed, against the package's own
 * exports (`auth-service` resolves to src/index.ts here): a type the
 * examples need that is not exported, or an option that does not exist,
 * fails this test.
 */
test("the documents' library examples compile against the package's exports", {
  timeout: 90_000,
}, () => {
  const found = readDocuments().flatMap((document) =>
    [...document.text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
      .map((match) => ({
        where: `${document.path}:${document.text.slice(0, match.index).split("\n").length}`,
        source: match[1] ?? "",
      }))
      .filter((block) => block.source.includes('from "auth-service"')),
  );
  const where = found.map((block) => block.where).join(", ");
  assert.ok(found.length >= AT_LEAST, `library examples found: ${found.length} (${where})`);
  assert.ok(
    found.some((block) => block.where.startsWith("README.md:")),
    `the README's tour shows the library: ${where}`,
  );
  const dir = mkdtempSync(join(ROOT, ".readme-snippets-"));
  try {
    const files = found.map((block, index) => {
      const file = `example-${index}.ts`;
      // Each block is a module of its own; "auth-service" is this package.
      const source = block.source.replaceAll('from "auth-service"', 'from "../src/index.js"');
      // tsc names example-N.ts; the first line says where the block is printed.
      writeFileSync(join(dir, file), `// ${block.where}\n${source}\nexport {};\n`);
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
