// Two (or more) builds of the service in ONE process, loaded by wrk in
// alternation, CPU per request from process.cpuUsage(). Identical processes
// differ by up to ~15% (docs/PERFORMANCE.md, "one process is not a
// measurement"); builds sharing a process share its luck, so a 0.3 us
// difference shows. Each argument is a folder holding a build (its dist/),
// e.g. a copy made before a change (with package.json for "type": "module",
// and this project's node_modules):
//   npm run build && mkdir -p /tmp/before && cp -r dist package.json /tmp/before/
//   ln -s "$PWD/node_modules" /tmp/before/node_modules
//   (change, npm run build)
//   node --import tsx bench/ab.ts --path /profile /tmp/before .
// Usage: node --import tsx bench/ab.ts [--path /] [--runs 6] [--seconds 3] <folder>...
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fmt, median, sessionCookie, tempDir, wrkAsync } from "./lib.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    path: { type: "string" },
    runs: { type: "string" },
    seconds: { type: "string" },
  },
});
const path = values.path ?? "/";
const runs = Number(values.runs ?? 6);
const seconds = Number(values.seconds ?? 3);
if (positionals.length === 0) throw new Error("give at least one folder with a dist/ build");

interface Build {
  folder: string;
  url: string;
  cookie: string;
  close: () => Promise<void>;
  micros: number[];
}
const databases = tempDir();
const builds: Build[] = [];
for (const [index, folder] of positionals.entries()) {
  const dist = pathToFileURL(join(resolve(folder), "dist")).href;
  // Builds from before the capability layout keep these modules at dist/'s top.
  const main = (name: string) =>
    import(`${dist}/main/${name}.js`).catch(() => import(`${dist}/${name}.js`));
  const { loadConfig } = await main("config");
  const { startServer } = await main("server");
  const server = await startServer(
    loadConfig({
      DATABASE_URL: `sqlite:${join(databases.dir, `ab-${index}.db`)}`,
      PORT: String(6400 + index),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
    }),
  );
  const cookie = await sessionCookie(server.url);
  builds.push({ folder, url: server.url, cookie, close: () => server.close(), micros: [] });
}

for (const build of builds)
  await wrkAsync(`${build.url}${path}`, { seconds: 2, headers: [build.cookie] });
for (let run = 0; run < runs; run++) {
  for (let i = 0; i < builds.length; i++) {
    const build = builds[(run + i) % builds.length] as Build;
    const before = process.cpuUsage();
    // Asynchronous: the servers live in this process, its event loop must run.
    const result = await wrkAsync(`${build.url}${path}`, { seconds, headers: [build.cookie] });
    const used = process.cpuUsage(before);
    build.micros.push((used.user + used.system) / result.total);
  }
}
console.log(
  `GET ${path}, ${runs} alternating runs of ${seconds} s, CPU us per request (this process, all threads)`,
);
console.log("| build | median | runs |");
console.log("|---|---|---|");
for (const build of builds) {
  console.log(
    `| ${build.folder} | ${fmt(median(build.micros), 2)} | ${build.micros.map((micros) => fmt(micros, 1)).join(", ")} |`,
  );
  await build.close();
}
databases.remove();
