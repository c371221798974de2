import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { listeningPort } from "./helpers/cli.js";
import { productionMailEnv, startSmtpServer, type TestSmtpServer } from "./helpers/smtp.js";

// The Dockerfile's runtime stage, run outside a container (no container
// engine runs in CI): dist/ compiled as the build stage does, package.json and
// package-lock.json with `npm ci --omit=dev --ignore-scripts` beside it, the
// whole code directory read-only, and the Dockerfile's CMD started from it as
// an unprivileged user (nobody, when the tests run as root) over a data
// directory only that user may write, with the Dockerfile's ENV plus what
// production requires. Then the Dockerfile's own HEALTHCHECK command, a
// registration that lands in the data directory, and SIGTERM (what
// `docker stop` sends) ending it with exit 0.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");

interface Instruction {
  op: string;
  args: string;
}

/** Each stage's instructions, continuation lines joined, comments dropped. */
function stagesOf(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  for (const line of logical) {
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === "FROM") stages.push([]);
    stages.at(-1)?.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

const stages = stagesOf(DOCKERFILE);
const runtime = stages.at(-1) ?? [];
const argsOf = (op: string) => runtime.filter((i) => i.op === op).map((i) => i.args);

/** The runtime stage's ENV (KEY=value pairs, no quoting used). */
const imageEnv: Record<string, string> = Object.fromEntries(
  argsOf("ENV").flatMap((args) =>
    args.split(/\s+/).map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  ),
);
const cmd = JSON.parse(argsOf("CMD")[0] ?? "[]") as string[];
const healthcheck = JSON.parse(
  /\bCMD\s+(\[.*\])\s*$/.exec(argsOf("HEALTHCHECK")[0] ?? "")?.[1] ?? "[]",
) as string[];
const installLine = argsOf("RUN").find((args) => args.includes("npm ci")) ?? "";

describe("Dockerfile", () => {
  test("names CI's newest Node major, within engines, and the service's health path and port", {
    timeout: 5_000,
  }, () => {
    const majors = stages.map((stage) => /^node:(\d+)-slim\b/.exec(stage[0]?.args ?? "")?.[1]);
    assert.ok(majors.length >= 2, "a build stage and a runtime stage");
    const major = Number(majors[0]);
    assert.ok(
      majors.every((m) => Number(m) === major),
      `every stage FROM node:<major>-slim: ${majors}`,
    );
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    const ciMajors = (/for major in ([\d ]+);/.exec(ci)?.[1] ?? "").trim().split(/\s+/).map(Number);
    assert.equal(major, Math.max(...ciMajors), `CI runs ${ciMajors}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const minimum = Number(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    assert.ok(major >= minimum, `engines ${pkg.engines.node}`);

    assert.deepEqual(cmd, ["node", pkg.bin["auth-service"].replace(/^\.\//, ""), "serve"]);
    assert.match(installLine, /npm ci --omit=dev --ignore-scripts\b/);
    assert.ok(
      runtime.some((i) => i.op === "COPY" && /--from=build\s+\/app\/dist\s+\.\/dist$/.test(i.args)),
      "the runtime stage takes dist/ from the build stage",
    );
    assert.equal(healthcheck[0], "node");
    assert.match(healthcheck.join(" "), /fetch\('http:\/\/127\.0\.0\.1:.*'\/health'\)/);
    const routes = readFileSync(join(ROOT, "src/core/routes/health.ts"), "utf8");
    assert.match(routes, /app\.get\("\/health"/);
    assert.deepEqual(argsOf("EXPOSE"), [imageEnv.PORT]);
    assert.equal(imageEnv.PORT, "5000"); // the service's default, as docs/CONFIGURATION.md says
    assert.equal(imageEnv.DATABASE_URL, "sqlite:/data/auth.db");
    assert.equal(imageEnv.HOST, undefined, "production listens on 0.0.0.0 by default");
    const user = argsOf("USER").at(-1);
    assert.ok(user !== undefined && user !== "root" && user !== "0", `USER ${user}`);
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8");
    assert.match(ignore, /^\*$/m, ".dockerignore keeps everything out but what it names");
  });
});

/** setpriv (or runuser) to nobody when the tests run as root; nothing otherwise. */
function unprivileged(): { prefix: string[]; uid: number; gid: number; how: string } {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  if (uid !== 0) return { prefix: [], uid, gid, how: `as the current user (uid ${uid})` };
  const id = (flag: string) => Number(spawnSync("id", [flag, "nobody"]).stdout?.toString().trim());
  const nobody = { uid: id("-u"), gid: id("-g") };
  if (Number.isInteger(nobody.uid) && spawnSync("setpriv", ["--version"]).status === 0) {
    return {
      prefix: ["setpriv", `--reuid=${nobody.uid}`, `--regid=${nobody.gid}`, "--clear-groups", "--"],
      ...nobody,
      how: `as nobody (uid ${nobody.uid}) via setpriv`,
    };
  }
  if (Number.isInteger(nobody.uid) && spawnSync("runuser", ["--version"]).status === 0) {
    return {
      prefix: ["runuser", "-u", "nobody", "--"],
      ...nobody,
      how: `as nobody (uid ${nobody.uid}) via runuser`,
    };
  }
  return { prefix: [], uid, gid, how: "as root: neither setpriv nor runuser is available" };
}

/** Runs a command to its end; rejects with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output}`)),
    );
  });
}

describe("the Dockerfile's runtime stage, outside a container", () => {
  const as = unprivileged();
  let work = "";
  let app = "";
  let data = "";
  let node = process.execPath;
  let smtp: TestSmtpServer | undefined;
  let server: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let output = (): string => "";
  let baseUrl = "";
  let port = 0;

  before(
    async () => {
      work = mkdtempSync(join(tmpdir(), "auth-deploy-"));
      chmodSync(work, 0o755);
      app = join(work, "app");
      data = join(work, "data");
      mkdirSync(app, { mode: 0o755 });
      mkdirSync(data, { mode: 0o700 });
      chownSync(data, as.uid, as.gid);
      for (const file of ["package.json", "package-lock.json"]) {
        copyFileSync(join(ROOT, file), join(app, file));
      }
      // The build stage (`npm run build`, i.e. tsc) and the runtime stage's
      // install, side by side: dist/ from the sources under test, not from
      // whatever dist/ the checkout holds.
      const installArgs = installLine.split("&&")[0]?.trim().split(/\s+/).slice(1) as string[];
      await Promise.all([
        run(
          process.execPath,
          [
            join(ROOT, "node_modules/typescript/bin/tsc"),
            "-p",
            join(ROOT, "tsconfig.build.json"),
            "--outDir",
            join(app, "dist"),
          ],
          ROOT,
        ),
        run("npm", installArgs, app),
      ]);
      await run("chmod", ["-R", "a-w", app], work);
      if (as.prefix.length > 0) {
        // This node sits under root's home, which nobody cannot enter.
        mkdirSync(join(work, "bin"), { mode: 0o755 });
        node = join(work, "bin", "node");
        try {
          linkSync(process.execPath, node);
        } catch {
          copyFileSync(process.execPath, node);
          chmodSync(node, 0o755);
        }
      }
      smtp = await startSmtpServer(); // need not answer for start-up; cheap to have
      const env = {
        PATH: `${join(work, "bin")}:/usr/local/bin:/usr/bin:/bin`,
        ...imageEnv,
        DATABASE_URL: imageEnv.DATABASE_URL?.replace("/data/", `${data}/`) ?? "",
        PORT: "0", // a free port; the health check gets the one logged
        ...productionMailEnv(smtp),
      };
      const [program = "", ...programArgs] = cmd;
      const command = [...as.prefix, program === "node" ? node : program, ...programArgs];
      server = spawn(command[0] ?? "", command.slice(1), {
        cwd: app,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      exited = new Promise((resolve) =>
        server?.on("exit", (code, signal) => resolve({ code, signal })),
      );
      const listening = await listeningPort(server, exited, 30_000);
      port = listening.port;
      output = listening.output;
      baseUrl = `http://127.0.0.1:${port}`;
    },
    { timeout: 240_000 },
  );

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill("SIGKILL");
      await exited;
    }
    await smtp?.close();
    if (work !== "") {
      spawnSync("chmod", ["-R", "u+w", work]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  test(`serves in production mode, ${as.how}, from read-only code`, { timeout: 15_000 }, () => {
    assert.match(output(), /"mode":"production"[^\n]*"msg":"listening"/);
    assert.equal(statSync(join(app, "dist/cli.js")).mode & 0o222, 0, "code is read-only");
    // The prebuilt better-sqlite3 binary, nothing compiled.
    assert.equal(existsSync(join(app, "node_modules/better-sqlite3/build")), false);
    assert.equal(existsSync(join(app, "node_modules/typescript")), false, "no devDependencies");
  });

  test("the Dockerfile's HEALTHCHECK command answers 0 (/health: 200)", {
    timeout: 15_000,
  }, async () => {
    const [program, ...args] = healthcheck;
    const command = [...as.prefix, program === "node" ? node : (program ?? ""), ...args];
    const check = spawnSync(command[0] ?? "", command.slice(1), {
      env: { PATH: "/usr/bin:/bin", PORT: String(port) },
      timeout: 10_000,
    });
    assert.equal(check.status, 0, `health check: ${check.stderr}`);
    const response = await fetch(`${baseUrl}/health`);
    assert.equal(response.status, 200);
    assert.ok(response.headers.get("strict-transport-security"), "production sends HSTS");
  });

  test("a registration is written to the data directory", { timeout: 15_000 }, async () => {
    const response = await fetch(`${baseUrl}/users`, {
      method: "POST",
      body: new URLSearchParams({ email: "ops@example.com", password: "deploy-recipe-Passw0rd" }),
    });
    assert.equal(response.status, 200, await response.text());
    const files = readdirSync(data);
    assert.ok(files.includes("auth.db"), `data directory: ${files}`);
    assert.equal(statSync(join(data, "auth.db")).uid, as.uid, "written by the service's user");
    const db = new Database(join(data, "auth.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT email FROM users").get() as { email: string } | undefined;
      assert.equal(row?.email, "ops@example.com");
    } finally {
      db.close();
    }
  });

  test("SIGTERM (docker stop) stops it with exit 0", { timeout: 20_000 }, async () => {
    server?.kill("SIGTERM");
    const end = await exited;
    assert.deepEqual(end, { code: 0, signal: null }, output());
    assert.match(output(), /"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
  });
});
