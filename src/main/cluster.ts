import cluster, { type Worker } from "node:cluster";
import type { FastifyBaseLogger } from "fastify";
import {
  collectWorkerMetrics,
  isMetricsMessage,
  METRICS_ANSWER,
  METRICS_ASK,
  METRICS_READY,
  type MetricsPeer,
} from "../core/http/metrics.js";
import type { Config } from "./config.js";
import { createAuth } from "./create-auth.js";

/** How long workers get to finish their requests after SIGTERM before they are killed. */
const DRAIN_GRACE_MS = 10_000;
/**
 * A worker that dies before it listens, or sooner than this after it started
 * listening, counts as crashing at start. (Not a time from its fork alone: on
 * a loaded machine a start can take longer than any fixed bound.)
 */
const EARLY_EXIT_MS = 5_000;
/**
 * After this many workers in a row crashed at start (about 6 s of backoff),
 * the primary gives up and exits non-zero, so a process manager that restarts
 * on failure (systemd's Restart=on-failure) sees it and takes over.
 */
const MAX_QUICK_DEATHS = 5;

/**
 * The primary of `serve --workers N`: migrates once, forks N workers that each
 * run the whole service on the shared port (Node's cluster hands connections
 * round-robin), replaces any worker that dies, and on SIGTERM/SIGINT lets every
 * worker drain before exiting. All state lives in the database (or Redis), so
 * workers need nothing from each other, except at a scrape of GET /metrics:
 * the worker that serves it asks here, and the primary sums every worker's.
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
  /** When each worker started listening. */
  const listeningSince = new Map<number, number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once("listening", () => listeningSince.set(worker.id, Date.now()));
    return worker;
  };

  // Workers that set up their metrics; one still starting has counted nothing yet.
  const metricsReady = new Set<Worker>();
  let collecting: Promise<string> | undefined;
  cluster.on("message", (worker, message: unknown) => {
    if (isMetricsMessage(message, METRICS_READY)) metricsReady.add(worker);
    if (!isMetricsMessage(message, METRICS_ASK)) return;
    const { id } = message;
    // Scrapes that arrive while one collection runs share its answer.
    collecting ??= collectWorkerMetrics(
      [...metricsReady].filter((peer) => peer.isConnected()).map(metricsPeer),
    ).finally(() => {
      collecting = undefined;
    });
    collecting.then(
      (metrics) => worker.send({ type: METRICS_ANSWER, id, metrics }, undefined, undefined, noop),
      (error: unknown) => {
        logger.warn({ err: error }, "cluster metrics: a worker did not answer");
        worker.send(
          { type: METRICS_ANSWER, id, error: errorMessage(error) },
          undefined,
          undefined,
          noop,
        );
      },
    );
  });

  // Settled once, by SIGTERM/SIGINT (after draining) or by giving up.
  let finish: (code: number) => void = noop;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  cluster.on("exit", (worker, code, signal) => {
    metricsReady.delete(worker);
    const listening = listeningSince.get(worker.id);
    listeningSince.delete(worker.id);
    if (stopping) return;
    const crashedAtStart = listening === undefined || Date.now() - listening < EARLY_EXIT_MS;
    quickDeaths = crashedAtStart ? quickDeaths + 1 : 0;
    if (quickDeaths > MAX_QUICK_DEATHS) {
      stopping = true;
      logger.fatal(
        { workerPid: worker.process.pid, code, signal, quickDeaths },
        "workers keep dying at start; giving up",
      );
      for (const other of liveWorkers()) other.process.kill("SIGKILL");
      finish(1);
      return;
    }
    // Back off when workers die at start (a bad config, a missing database), instead of spinning.
    const delay = Math.min(100 * 2 ** quickDeaths, 30_000);
    logger.error(
      { workerPid: worker.process.pid, code, signal, restartInMs: delay },
      "worker died; starting another",
    );
    // A referenced timer: with every worker dead it is all that keeps the
    // primary alive, and an unreferenced one let it exit with code 0.
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers }, "primary started");

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping workers");
    const alive = liveWorkers();
    const force = setTimeout(() => {
      for (const worker of alive) worker.process.kill("SIGKILL");
    }, DRAIN_GRACE_MS);
    let failed = false;
    let remaining = alive.length;
    if (remaining === 0) {
      clearTimeout(force);
      finish(0);
    }
    for (const worker of alive) {
      worker.once("exit", (code) => {
        failed ||= code !== 0;
        if (--remaining === 0) {
          clearTimeout(force);
          finish(failed ? 1 : 0);
        }
      });
      worker.process.kill("SIGTERM");
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return finished;
}

function liveWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker);
}

function noop(): void {}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function metricsPeer(worker: Worker): MetricsPeer {
  return {
    send: (message, done) => {
      worker.send(message, undefined, undefined, done);
    },
    on: (event, listener) => worker.on(event, listener),
    off: (event, listener) => worker.off(event, listener),
  };
}
