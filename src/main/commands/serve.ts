import cluster from "node:cluster";
import { parseArgs } from "node:util";
import { serviceLogger } from "../../platform/http/logger.js";
import { keepTickObjectMapsAlive } from "../../platform/runtime/tick-object-maps.js";
import { runPrimary } from "../cluster.js";
import { loadConfig } from "../config.js";
import { startServer } from "../server.js";

export const SERVE_USAGE = `Usage: auth-service serve [--port N] [--host ADDRESS] [--workers N]

Runs the HTTP service. Flags override PORT, HOST and WORKERS; everything else
is read from the environment (see .env.example). With --workers N (N > 1), a
primary process runs N workers on the port and restarts any that dies.
SIGTERM or SIGINT stop it gracefully.`;

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/** `auth-service serve`: runs until a signal. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      workers: { type: "string", short: "w" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  keepTickObjectMapsAlive();
  const config = loadConfig(undefined, {
    PORT: values.port,
    HOST: values.host,
    WORKERS: values.workers,
  });
  if (config.workers > 1 && cluster.isPrimary) {
    return runPrimary(config, config.workers, serviceLogger(config.logLevel, config.auth.mode));
  }
  const server = await startServer(config);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal stops at once, unless a cluster primary is in charge of that.
      if (cluster.isWorker) return;
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return new Promise<number>(() => {}); // runs until a signal
}
