#!/usr/bin/env node
// npm's prestart: builds dist/ (npm run build) only when a source is newer than
// it, so `npm start` does not spend seconds compiling unchanged TypeScript on
// every start. `prepare` builds at install; this catches edits made since.
//
// Fresh means dist/cli.js exists and nothing under src/, nor a tsconfig, was
// modified after it. A failed build leaves dist/cli.js marked as old, so the
// next start tries again instead of serving half-built code.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.cwd();
const built = join(root, "dist", "cli.js");
const sources = [join(root, "src"), join(root, "tsconfig.json"), join(root, "tsconfig.build.json")];

/** The most recently modified file under `paths`, or null when there is none. */
function newestFile(paths) {
  let newest = null;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    const candidate = stat.isDirectory()
      ? newestFile(readdirSync(path).map((name) => join(path, name)))
      : { path, mtimeMs: stat.mtimeMs };
    if (candidate && (!newest || candidate.mtimeMs > newest.mtimeMs)) newest = candidate;
  }
  return newest;
}

function staleReason() {
  if (!existsSync(built)) return "dist/cli.js does not exist";
  const newest = newestFile(sources);
  if (newest && newest.mtimeMs > statSync(built).mtimeMs)
    return `${relative(root, newest.path)} is newer than dist/`;
  return null;
}

const reason = staleReason();
if (reason !== null) {
  console.error(`build-if-stale: ${reason}: npm run build`);
  const startedAt = new Date();
  // Run by npm, npm_execpath is the npm that started us; else npm on PATH.
  const npm = process.env.npm_execpath;
  const build = npm
    ? spawnSync(process.execPath, [npm, "run", "build", "--silent"], { stdio: "inherit" })
    : spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
  if (build.status !== 0) {
    if (existsSync(built)) utimesSync(built, 0, 0);
    process.exit(build.status ?? 1);
  }
  // A source saved while the compiler ran is newer than the build start: the
  // next start builds again.
  utimesSync(built, startedAt, startedAt);
}
