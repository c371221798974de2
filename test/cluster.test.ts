import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { CLI, listeningPids, spawnServe, waitFor } from "./helpers/cli.js";
import { request } from "./helpers/http.js";
import { tempDir } from "./helpers/server.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("--workers 2 over one SQLite file: one registration race winner, crashed workers replaced, SIGTERM drains all", async () => {
  const { dir, remove } = tempDir();
  const server = await spawnServe(
    { DATABASE_URL: `sqlite:${join(dir, "cluster.db")}`, BCRYPT_COST: "4" },
    ["--workers", "2"],
  );
  try {
    await waitFor(() => listeningPids(server.output()).length === 2, 20_000, "two workers");
    const [first, second] = listeningPids(server.output()) as [number, number];
    assert.notEqual(first, second);

    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        request(server.url, "POST", "/users", {
          form: { email: "race@example.com", password: `password-${i}` },
        }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.status).sort(), [200, ...Array(15).fill(400)]);
    const handledBy = new Set(
      [...server.output().matchAll(/"pid":(\d+)[^\n]*"path":"\/users"/g)].map((match) => match[1]),
    );
    assert.equal(handledBy.size, 2, "both workers served the race");

    process.kill(first, "SIGKILL");
    await waitFor(
      () => listeningPids(server.output()).length === 3,
      20_000,
      "a replacement worker",
    );
    assert.match(server.output(), /worker died; starting another/);
    const replacement = listeningPids(server.output())[2] ?? 0;
    assert.ok(![first, second].includes(replacement));
    for (let i = 0; i < 6; i++) assert.equal((await request(server.url, "GET", "/")).status, 200);

    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    for (const pid of [second, replacement])
      assert.equal(isAlive(pid), false, `worker ${pid} stopped`);
  } finally {
    server.child.kill("SIGKILL");
    remove();
  }
});

function metricValue(text: string, metric: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

function servedBy(output: string, path: string): Set<string> {
  const pattern = new RegExp(`"pid":(\\d+)[^\\n]*"path":"${path.replace(/\//g, "\\/")}"`, "g");
  return new Set([...output.matchAll(pattern)].map((match) => match[1] ?? ""));
}

test("--workers 2: whichever worker answers GET /metrics, it shows the whole cluster's counts, behind the token", async () => {
  const { dir, remove } = tempDir();
  const token = "cluster-metrics-token";
  const server = await spawnServe(
    {
      DATABASE_URL: `sqlite:${join(dir, "metrics.db")}`,
      BCRYPT_COST: "4",
      METRICS_TOKEN: token,
    },
    ["--workers", "2"],
  );
  try {
    await waitFor(() => listeningPids(server.output()).length === 2, 20_000, "two workers");
    const auth = { headers: { authorization: `Bearer ${token}` } };

    const requests = 24;
    const answers = await Promise.all(
      Array.from({ length: requests }, () => request(server.url, "GET", "/")),
    );
    assert.ok(answers.every((answer) => answer.status === 200));
    const registrations = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        request(server.url, "POST", "/users", {
          form: { email: `m${i}@example.com`, password: `password-${i}` },
        }),
      ),
    );
    assert.ok(registrations.every((answer) => answer.status === 200));
    assert.equal(servedBy(server.output(), "/").size, 2, "both workers served GET /");

    const get = 'http_request_duration_seconds_count{method="GET",route="/",status_code="200"}';
    for (let round = 0; round < 3; round++) {
      const scrapes = await Promise.all(
        Array.from({ length: 4 }, () => request(server.url, "GET", "/metrics", auth)),
      );
      for (const scrape of scrapes) {
        assert.equal(scrape.status, 200, scrape.text);
        assert.match(scrape.headers.get("content-type") ?? "", /^text\/plain/);
        assert.equal(metricValue(scrape.text, get), requests);
        assert.equal(
          metricValue(scrape.text, 'auth_registrations_total{outcome="success"}'),
          registrations.length,
        );
        // Default metrics are summed (memory, CPU) or averaged (event-loop lag) by prom-client.
        const rss = metricValue(scrape.text, "process_resident_memory_bytes") ?? 0;
        assert.ok(rss > 0);
        assert.equal(scrape.text.match(/^nodejs_version_info/gm)?.length, 1);
        assert.match(scrape.text, /^nodejs_eventloop_lag_seconds /m);
      }
    }
    assert.equal(servedBy(server.output(), "/metrics").size, 2, "both workers answered scrapes");

    for (let i = 0; i < 4; i++) {
      assert.equal((await request(server.url, "GET", "/metrics")).status, 401);
      const wrong = await request(server.url, "GET", "/metrics", {
        headers: { authorization: "Bearer wrong-token-of-same-len" },
      });
      assert.equal(wrong.status, 401);
    }

    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
  } finally {
    server.child.kill("SIGKILL");
    remove();
  }
});

test("--workers 2 whose workers die at start: the primary keeps replacing them, then gives up with a non-zero exit", {
  timeout: 120_000,
}, async () => {
  const { dir, remove } = tempDir();
  // 192.0.2.1 (TEST-NET-1) is on no interface here: each worker's listen fails.
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--workers", "2"], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${join(dir, "dying.db")}`,
      HOST: "192.0.2.1",
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    // A process manager restarts only a failed exit (systemd's Restart=on-failure).
    assert.equal(code, 1, output);
    assert.ok((output.match(/worker died; starting another/g) ?? []).length >= 4, output);
    assert.match(output, /workers keep dying at start; giving up/);
  } finally {
    child.kill("SIGKILL");
    remove();
  }
});
