import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A Redis server of this test's own (`redis-server` on a free port, nothing
 * saved), so a test can stop it and start it again: the shared Redis is
 * never stopped. Call close() at the end.
 */
export interface PrivateRedis {
  url: string;
  /** Kills the server (SIGKILL): every connection drops, nothing is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (nothing when it runs). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The started server, or a skip reason when redis-server cannot be started
 * (an error instead with REQUIRE_SERVICES=1, as in CI).
 */
export async function startPrivateRedis(): Promise<PrivateRedis | { skip: string }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child && child.exitCode === null) return; // running already
    const started = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    const failed = new Promise<Error>((resolve) => started.once("error", resolve));
    child = started;
    for (let i = 0; i < 100; i++) {
      if (await answers(port)) return;
      const error = await Promise.race([failed, sleep(50).then(() => null)]);
      if (error) throw error;
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  try {
    await start();
  } catch (error) {
    await stop();
    const reason = `no redis-server to start (${(error as Error).message})`;
    // CI has Redis installed (.ci/run starts it): there, not starting one is a failure.
    if (process.env.REQUIRE_SERVICES === "1") throw new Error(reason);
    return { skip: reason };
  }
  return { url: `redis://127.0.0.1:${port}`, start, stop, close: stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(500);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}
