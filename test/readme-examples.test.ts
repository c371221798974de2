import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readDocuments } from "./helpers/docs.js";
import { startTestServer, TEST_ENV, type TestServer, tempDir } from "./helpers/server.js";

// Runs the shell examples of README.md and of every docs/**/*.md as written,
// one bash session for them all, README.md's first and then the documents'
// in path order (later blocks use variables and users of earlier ones),
// against a real server on a free port over a fresh SQLite file, and compares
// what each command prints with the `# ` lines under it. Every ```sh block
// runs unless the line right before it is a marker saying why not:
//
//   <!-- not run by test/readme-examples.test.ts: starts a server on port 5000 -->
//
// In the expected lines, `...` (or `…`) stands for any text on that line and
// a line of its own `...` for any lines; a trailing "   (remark)" is a remark
// about the output, not part of it. `localhost:5000` becomes the test
// server's address. `npx auth-service` runs src/cli.ts (the code under test;
// dist/ may be missing or older than src/ outside CI); any other npx or npm
// command fails, so a block needing one must carry the marker.

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const MARKER = /^<!--\s*not run by test\/readme-examples\.test\.ts:\s*(.*?)\s*-->$/;
const SHELL_FENCE = /^```(?:sh|bash|shell)\s*$/;
const RUN_TIMEOUT = 90_000;
/**
 * How many blocks the documents hold today, run and not run: fewer means an
 * example was lost in an edit (or moved into a block without a fence the
 * parser knows). Raise them as examples are added; lower them only when one
 * is removed on purpose.
 */
const AT_LEAST = { running: 15, skipped: 17 };

interface Segment {
  /** Line of the first command in its document. */
  line: number;
  commands: string[];
  expected: string[];
}

interface Block {
  /** The document, from the repository's root. */
  path: string;
  line: number;
  /** The heading of its section. */
  section: string;
  skip: string | null;
  segments: Segment[];
}

interface Outcome {
  stdout: string;
  stderr: string;
  /** null: the run ended (timeout) before this segment did. */
  code: number | null;
}

function parseDocument(path: string, text: string): { blocks: Block[]; strayMarkers: string[] } {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  const markers = new Set<number>();
  lines.forEach((line, i) => {
    if (MARKER.test(line.trim())) markers.add(i + 1);
  });
  let fence: { line: number; shell: boolean; body: string[] } | null = null;
  let section = "";
  lines.forEach((line, i) => {
    if (fence === null) {
      const heading = /^#{1,6}\s+(.*)$/.exec(line);
      if (heading) section = heading[1]?.trim() ?? "";
      if (!line.startsWith("```")) return;
      fence = { line: i + 1, shell: SHELL_FENCE.test(line), body: [] };
      return;
    }
    if (line.trimEnd() !== "```") {
      fence.body.push(line);
      return;
    }
    if (fence.shell) {
      let previous = fence.line - 2; // index of the line above the fence
      while (previous >= 0 && lines[previous]?.trim() === "") previous--;
      const marker = MARKER.exec(lines[previous]?.trim() ?? "");
      if (marker) markers.delete(previous + 1);
      blocks.push({
        path,
        line: fence.line,
        section,
        skip: marker ? marker[1] || "(no reason given)" : null,
        segments: segmentsOf(fence.body, fence.line + 1),
      });
    }
    fence = null;
  });
  return { blocks, strayMarkers: [...markers].map((line) => `${path}:${line}`) };
}

/** Commands, each group followed by the `# ` lines showing its output. */
function segmentsOf(body: string[], firstLine: number): Segment[] {
  const segments: Segment[] = [];
  let current: Segment | null = null;
  body.forEach((line, i) => {
    const output = /^#(?: |$)/.test(line) && current !== null && current.commands.length > 0;
    if (output) {
      current?.expected.push(line.slice(2));
      return;
    }
    if (current === null || current.expected.length > 0) {
      current = { line: firstLine + i, commands: [], expected: [] };
      segments.push(current);
    }
    current.commands.push(line);
  });
  return segments.filter((segment) => segment.commands.some((command) => command.trim() !== ""));
}

const GAP = Symbol("any lines");

/** An expected line as a pattern: remarks dropped, `...` as any text; GAP for any lines. */
function expectation(text: string): RegExp | typeof GAP {
  const shown = text.replace(/\s{2,}\([^()]*\)\s*$/, "").trimEnd();
  if (/^\s*(\.\.\.|…|\(.*\))\s*$/.test(shown)) return GAP;
  const parts = shown.split(/\.\.\.|…/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

function matches(expected: Array<RegExp | typeof GAP>, actual: string[]): boolean {
  const [first, ...rest] = expected;
  if (first === undefined) return actual.length === 0;
  if (first === GAP)
    return actual.some((_, k) => matches(rest, actual.slice(k))) || matches(rest, []);
  return actual.length > 0 && first.test(actual[0] ?? "") && matches(rest, actual.slice(1));
}

function outputLines(stdout: string): string[] {
  if (stdout === "") return [];
  return stdout
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => line.trimEnd());
}

/** One bash script for every segment, each one's stdout, stderr and status in its own files. */
function runSegments(
  segments: Segment[],
  options: {
    cwd: string;
    outDir: string;
    env: NodeJS.ProcessEnv;
    substitute: (text: string) => string;
  },
): Promise<Outcome[]> {
  const script = segments
    .map((segment, i) => {
      const out = join(options.outDir, String(i));
      return [
        "{",
        ...segment.commands.map(options.substitute),
        `} > '${out}.out' 2> '${out}.err' < /dev/null`,
        `echo $? > '${out}.rc'`,
      ].join("\n");
    })
    .join("\n");
  return new Promise((resolve) => {
    // A process group of its own, ended whole: nothing an example starts outlives the run.
    const bash = spawn("bash", ["--noprofile", "--norc", "-o", "pipefail", "-c", script], {
      cwd: options.cwd,
      env: options.env,
      stdio: "ignore",
      detached: true,
    });
    const endGroup = () => {
      try {
        if (bash.pid) process.kill(-bash.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(endGroup, RUN_TIMEOUT);
    bash.once("close", () => {
      clearTimeout(timer);
      endGroup();
      resolve(
        segments.map((_, i) => {
          const out = join(options.outDir, String(i));
          const read = (suffix: string) =>
            existsSync(out + suffix) ? readFileSync(out + suffix, "utf8") : "";
          const rc = read(".rc").trim();
          return {
            stdout: read(".out"),
            stderr: read(".err"),
            code: rc === "" ? null : Number(rc),
          };
        }),
      );
    });
  });
}

/** `npx auth-service` as the sources; any other npx or npm is refused, loudly. */
function writeShims(dir: string): void {
  const tsx = import.meta.resolve("tsx");
  const refuse = (what: string) =>
    `echo "${what} is not run by test/readme-examples.test.ts: put a <!-- not run by test/readme-examples.test.ts: reason --> line above the block" >&2\nexit 127\n`;
  writeFileSync(
    join(dir, "npx"),
    `#!/bin/sh\nif [ "$1" = auth-service ]; then\n  shift\n  exec '${process.execPath}' --import '${tsx}' '${CLI}' "$@"\nfi\n${refuse('npx "$1"')}`,
  );
  writeFileSync(join(dir, "npm"), `#!/bin/sh\n${refuse('npm "$1"')}`);
  chmodSync(join(dir, "npx"), 0o755);
  chmodSync(join(dir, "npm"), 0o755);
}

const parsed = readDocuments().map((document) => parseDocument(document.path, document.text));
const blocks = parsed.flatMap((document) => document.blocks);
const strayMarkers = parsed.flatMap((document) => document.strayMarkers);
const running = blocks.filter((block) => block.skip === null);

describe("the documents' shell examples, run as written", () => {
  const folder = tempDir();
  let server: TestServer | undefined;
  const outcomes = new Map<Segment, Outcome>();

  before(
    async () => {
      server = await startTestServer();
      const bin = join(folder.dir, "bin");
      const outDir = join(folder.dir, "out");
      const cwd = join(folder.dir, "cwd");
      for (const dir of [bin, outDir, cwd]) mkdirSync(dir);
      writeShims(bin);
      const address = `localhost:${server.port}`;
      const substitute = (text: string) =>
        text.replaceAll(/(localhost|127\.0\.0\.1):5000\b/g, address);
      const segments = running.flatMap((block) => block.segments);
      const results = await runSegments(segments, {
        cwd,
        outDir,
        substitute,
        env: {
          ...process.env,
          ...TEST_ENV,
          // What an operator's shell holds next to the service: its database.
          DATABASE_URL: server.databaseUrl,
          PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
        },
      });
      segments.forEach((segment, i) => {
        const result = results[i];
        if (result) outcomes.set(segment, result);
        segment.expected = segment.expected.map(substitute);
      });
    },
    { timeout: RUN_TIMEOUT + 30_000 },
  );
  after(async () => {
    try {
      await server?.close();
    } finally {
      folder.remove();
    }
  });

  test("every skip marker stands right above a shell block", { timeout: 5_000 }, () => {
    assert.deepEqual(strayMarkers, [], "lines with a marker but no ```sh block under it");
  });

  test("no example was lost", { timeout: 5_000 }, () => {
    const skipped = blocks.length - running.length;
    const where = (list: Block[]) => list.map((block) => `${block.path}:${block.line}`).join(", ");
    assert.ok(
      running.length >= AT_LEAST.running,
      `${running.length} runnable shell blocks, expected at least ${AT_LEAST.running}: ${where(running)}`,
    );
    assert.ok(
      skipped >= AT_LEAST.skipped,
      `${skipped} shell blocks not run, expected at least ${AT_LEAST.skipped}: ${where(blocks.filter((block) => block.skip !== null))}`,
    );
    assert.ok(
      running.some((block) => block.path === "README.md"),
      "the README's tour has runnable examples",
    );
  });

  for (const block of blocks) {
    const first = block.segments[0]?.commands[0]?.trim() ?? "(empty)";
    const name = `${block.path}:${block.line} (${block.section}) ${first.length > 50 ? `${first.slice(0, 47)}...` : first}`;
    if (block.skip !== null) {
      test(name, { skip: block.skip }, () => {});
      continue;
    }
    test(name, { timeout: 10_000 }, () => {
      const differences: string[] = [];
      for (const segment of block.segments) {
        const outcome = outcomes.get(segment);
        const command = segment.commands.join("\n");
        if (!outcome || outcome.code === null) {
          differences.push(
            `${block.path}:${segment.line}: did not finish within ${RUN_TIMEOUT} ms\n${command}`,
          );
          continue;
        }
        const actual = outputLines(outcome.stdout);
        const ok = matches(segment.expected.map(expectation), actual) && outcome.code === 0;
        if (ok) continue;
        differences.push(
          [
            `${block.path}:${segment.line}:`,
            ...segment.commands.map((line) => `  $ ${line}`),
            `  ${block.path} shows:`,
            ...(segment.expected.length ? segment.expected : ["(nothing)"]).map((l) => `    ${l}`),
            `  printed (exit status ${outcome.code}):`,
            ...(actual.length ? actual : ["(nothing)"]).map((l) => `    ${l}`),
            ...(outcome.stderr.trim()
              ? ["  stderr:", `    ${outcome.stderr.trim().replaceAll("\n", "\n    ")}`]
              : []),
          ].join("\n"),
        );
      }
      if (differences.length > 0) assert.fail(`\n${differences.join("\n\n")}`);
    });
  }
});
