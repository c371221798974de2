import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import pino, { type DestinationStream } from "pino";
import type { LogLevel } from "../config.js";

/**
 * The service's logger. Requests are logged by method and path only: query
 * strings (which may one day carry a reset token), cookies and bodies never
 * reach the log. The redaction list is a second net under the serializers.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): FastifyBaseLogger {
  const options: pino.LoggerOptions = {
    level,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        path: request.url.split("?", 1)[0],
        ip: request.ip,
      }),
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
    },
    redact: {
      paths: [
        "req.headers.cookie",
        "req.headers.authorization",
        "res.headers['set-cookie']",
        "*.password",
        "*.new_password",
        "*.reset_token",
        "*.hashedPassword",
        "*.hashed_password",
        "*.token",
      ],
      censor: "[redacted]",
    },
  };
  return (destination ? pino(options, destination) : pino(options)) as FastifyBaseLogger;
}
