import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { spawnServe } from "../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer, tempDir } from "../helpers/server.js";
import { productionMailEnv, startSmtpServer } from "../helpers/smtp.js";

const LIMIT = 65_536;
const TIMEOUT = { timeout: 60_000 };

/**
 * The attack: many requests at once, each a method that takes no body (or any
 * other) with a body past BODY_LIMIT. Each raw socket writes the headers and
 * the whole body, then reads the answer's status line ("" when none came).
 */
function oversizedBurst(
  url: string,
  method: string,
  path: string,
  count: number,
): Promise<string[]> {
  const { hostname, port } = new URL(url);
  const body = Buffer.alloc(LIMIT + 4464, 97);
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<string>((resolve) => {
          let answer = "";
          const socket = net.connect(Number(port), hostname, () => {
            socket.write(
              `${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
            );
            socket.write(body, () => {});
          });
          socket.setTimeout(10_000, () => socket.destroy());
          socket.on("data", (chunk: Buffer) => {
            answer += chunk.toString("latin1");
            if (answer.includes("\r\n")) socket.destroy();
          });
          socket.on("error", () => {});
          socket.on("close", () => resolve(answer.split("\r\n", 1)[0] ?? ""));
        }),
    ),
  );
}

async function attackAndCheck(url: string): Promise<void> {
  const bursts = [
    ["GET", "/health"],
    ["HEAD", "/health"],
    ["GET", "/profile"],
    ["HEAD", "/account/login"],
    ["POST", "/users"],
    ["DELETE", "/sessions"],
  ] as const;
  for (const [method, path] of bursts) {
    const answers = await oversizedBurst(url, method, path, 20);
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 413 /, `${method}: ${answer}`);
  }
  const health = await request(url, "GET", "/health");
  assert.equal(health.status, 200, "the service still serves");
}

for (const factory of await testDatabases()) {
  describe(`parallel oversized bodies on ${factory.name}: each gets 413, the service lives`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const step of cleanup.reverse()) await step();
    });
    const serverOn = async (env: Record<string, string>): Promise<TestServer> => {
      if ("skip" in factory) throw new Error(factory.skip);
      const database: TestDatabase = await factory.create();
      cleanup.push(() => database.drop());
      // Logging on: the request log's address serializer is what crashed.
      const server = await startTestServer({
        ...env,
        DATABASE_URL: database.url,
        BODY_LIMIT: String(LIMIT),
        LOG_LEVEL: "info",
      });
      cleanup.push(() => server.close());
      return server;
    };

    test("development", TIMEOUT, async () => {
      await attackAndCheck((await serverOn({})).url);
    });

    test(
      "development behind a trusted proxy (request.ip goes through @fastify/forwarded)",
      TIMEOUT,
      async () => {
        await attackAndCheck((await serverOn({ TRUST_PROXY: "1" })).url);
      },
    );

    test("production", TIMEOUT, async () => {
      const smtp = await startSmtpServer();
      cleanup.push(() => smtp.close());
      await attackAndCheck((await serverOn({ ...productionMailEnv(smtp), TRUST_PROXY: "1" })).url);
    });
  });
}

test("--workers 2: no worker dies of parallel oversized bodies", { timeout: 90_000 }, async () => {
  const { dir, remove } = tempDir();
  const server = await spawnServe(
    {
      DATABASE_URL: `sqlite:${join(dir, "workers.db")}`,
      BCRYPT_COST: "4",
      BODY_LIMIT: String(LIMIT),
      LOG_LEVEL: "info",
    },
    ["--workers", "2"],
  );
  try {
    await attackAndCheck(server.url);
    assert.doesNotMatch(server.output(), /worker died/);
    server.child.kill("SIGTERM");
    await server.exited;
  } finally {
    server.child.kill("SIGKILL");
    remove();
  }
});
