import cluster, { type Worker } from "node:cluster";
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "./config.js";
import { createAuth } from "./create-auth.js";

/** How long workers get to finish their requests after SIGTERM before they are killed. */
const DRAIN_GRACE_MS = 10_000;
/** A worker that dies sooner than this after starting counts as crashing at start. */
const EARLY_EXIT_MS = 5_000;

/**
 * The primary of `serve --workers N`: migrates once, forks N workers that each
 * run the whole service on the shared port (Node's cluster hands connections
 * round-robin), replaces any worker that dies, and on SIGTERM/SIGINT lets every
 * worker drain before exiting. All state lives in the database (or Redis), so
 * workers need nothing from each other.
 */
export async function runPrimary(
  config: Config,
  workers: number,
  logger: FastifyBaseLogger,
): Promise<number> {
  // Migrations run here first, so workers start against an up-to-date schema.
  const service = await createAuth({ ...config.auth, databaseUrl: config.databaseUrl });
  await service.close();

  let stopping = false;
  let quickDeaths = 0;
  const startedAt = new Map<number, number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) return;
    quickDeaths = lived < EARLY_EXIT_MS ? quickDeaths + 1 : 0;
    // Back off when workers die at start (a bad config, a missing database), instead of spinning.
    const delay = Math.min(100 * 2 ** quickDeaths, 30_000);
    logger.error(
      { pid: worker.process.pid, code, signal, restartInMs: delay },
      "worker died; starting another",
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers }, "primary started");

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "stopping workers");
      const alive = Object.values(cluster.workers ?? {}).filter(
        (worker): worker is Worker => !!worker,
      );
      const force = setTimeout(() => {
        for (const worker of alive) worker.process.kill("SIGKILL");
      }, DRAIN_GRACE_MS);
      let failed = false;
      let remaining = alive.length;
      if (remaining === 0) resolve(0);
      for (const worker of alive) {
        worker.once("exit", (code) => {
          failed ||= code !== 0;
          if (--remaining === 0) {
            clearTimeout(force);
            resolve(failed ? 1 : 0);
          }
        });
        worker.process.kill("SIGTERM");
      }
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
}
