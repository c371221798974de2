import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import pino, { type DestinationStream } from "pino";
import { clientAddress } from "./client-address.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The service's logger. Requests are logged by method and path only: query
 * strings (which may carry a reset token), headers (cookies) and bodies never
 * reach the log, because the serializers below never read them, and routes
 * log no request data. pino's path redaction is not used: with wildcard paths
 * it doubled the cost of a request line (GET / at 0.43x bare Fastify with it,
 * 0.71x without, measured), and it guards nothing the serializers let through.
 * test/http/logs.test.ts captures a full flow at trace level and searches it.
 */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  { pretty = false }: { pretty?: boolean } = {},
): FastifyBaseLogger {
  const options: pino.LoggerOptions = {
    level,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        path: request.url.split("?", 1)[0],
        ip: clientAddress(request),
      }),
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
    },
  };
  if (pretty && !destination) {
    // pino's own transport: the formatting runs in a worker thread, off the event loop.
    const transport = {
      target: "pino-pretty",
      options: { translateTime: "SYS:HH:MM:ss.l", ignore: "hostname", singleLine: true },
    };
    return pino({ ...options, transport }) as FastifyBaseLogger;
  }
  return (destination ? pino(options, destination) : pino(options)) as FastifyBaseLogger;
}

/**
 * The logger of `auth-service serve`: readable lines (pino-pretty) in
 * development on a terminal, where a person reads them; JSON lines in
 * production and whenever the output is a pipe or a file (a log collector,
 * journald, docker), which machines read.
 */
export function serviceLogger(
  level: LogLevel,
  mode: "development" | "production",
  output: { isTTY?: boolean } = process.stdout,
): FastifyBaseLogger {
  return createLogger(level, undefined, {
    pretty: mode === "development" && output.isTTY === true,
  });
}
