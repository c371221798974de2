import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnServe } from "./helpers/cli.js";
import { request } from "./helpers/http.js";
import { tempDir } from "./helpers/server.js";

function listeningPids(output: string): number[] {
  return [...output.matchAll(/"pid":(\d+)[^\n]*"msg":"listening"/g)].map((match) =>
    Number(match[1]),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
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
