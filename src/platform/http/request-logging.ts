import {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Bindings, ChildLoggerOptions } from "pino";

/**
 * Fastify gives every request a child logger carrying its id. pino's child()
 * with our serializers and redaction costs more than the rest of GET /
 * (measured). This stand-in makes the real child on the first line the
 * request actually logs, so requests that log nothing pay one small object.
 * Methods live on the prototype: no closures per request.
 */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#log("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#log("error", args);
  }
  warn(...args: unknown[]): void {
    this.#log("warn", args);
  }
  info(...args: unknown[]): void {
    this.#log("info", args);
  }
  debug(...args: unknown[]): void {
    this.#log("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#log("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  #log(level: "fatal" | "error" | "warn" | "info" | "debug" | "trace", args: unknown[]): void {
    if (
      !(this.#parent as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(level)
    )
      return;
    (this.#real()[level] as (...args: unknown[]) => void)(...args);
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }
}

export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

/** Told of every answer once it is sent (the metrics' request histogram). */
export type CompletedRequestObserver = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * One line per request, when it ends (method, path, status, time), instead of
 * Fastify's two ("incoming request" and "request completed"). Written through
 * the root logger with the request id as a field, so it does not need the
 * request's child logger either.
 *
 * Fastify calls requestCompleted() for every answer, so the request histogram
 * is fed from here too: an onResponse hook for it would run Fastify's hook
 * runner (three closures and as many calls) on every request besides.
 */
export class OneLineRequestLog extends LogController {
  readonly #observe: CompletedRequestObserver | undefined;

  constructor(observe?: CompletedRequestObserver) {
    super();
    this.#observe = observe;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    this.#observe?.(request, reply);
    if (this.isLogDisabled(request)) return;
    const line = { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) request.server.log.error({ ...line, err: error }, "request errored");
    else request.server.log.info(line, "request completed");
  }
}
