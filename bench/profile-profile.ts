// CPU profile of GET /profile under load: starts the service in this process
// with V8's profiler on, drives it with wrk from a child process, and prints
// the functions with the most self time (and writes profile.cpuprofile for a
// flame graph in Chrome DevTools or speedscope).
// Usage: node --import tsx bench/profile-profile.ts [--seconds 8] [--path /profile]
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { loadConfig } from "../src/main/config.js";
import { startServer } from "../src/main/server.js";
import { sessionCookie, tempDir } from "./lib.js";

const { values } = parseArgs({
  options: { seconds: { type: "string" }, path: { type: "string" } },
});
const seconds = Number(values.seconds ?? 8);
const path = values.path ?? "/profile";
const folder = tempDir();
const server = await startServer(
  loadConfig({
    DATABASE_URL: `sqlite:${join(folder.dir, "profile.db")}`,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    BCRYPT_COST: "4",
  }),
);
const cookie = await sessionCookie(server.url);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
const { stdout } = await promisify(execFile)("wrk", [
  "-t2",
  "-c64",
  `-d${seconds}s`,
  "-H",
  cookie,
  `${server.url}${path}`,
]);
const { profile } = await session.post("Profiler.stop");
await server.close();
folder.remove();

writeFileSync("profile.cpuprofile", JSON.stringify(profile));
console.log(stdout.split("\n").find((line) => line.includes("Requests/sec")));

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const total = (profile.nodes as Node[]).reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
const byFunction = new Map<string, number>();
for (const node of profile.nodes as Node[]) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(dist|src)\//, "$1/");
  const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + (node.hitCount ?? 0));
}
const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30);
for (const [key, hits] of top)
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
