import type { FastifyRequest } from "fastify";

const WITHOUT_BODY = new Set(["GET", "HEAD"]);

/**
 * Fastify never reads the body of a GET or HEAD. If a client sends one anyway
 * (the fuzzer does, 378 kB on GET /metrics), the answer can go out and the
 * socket close while the body is still arriving, and the kernel then resets
 * the connection, destroying the answer on its way. Such a body is read to
 * its end (discarded, up to the body limit; past that 413, as for any route)
 * before answering, which keeps the exchange well-formed. Requests without a
 * body (all real GETs) cost one method and two header lookups.
 */
export function hasUnreadBody(request: FastifyRequest): boolean {
  const { headers } = request;
  return (
    WITHOUT_BODY.has(request.method) &&
    (headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined)
  );
}

/**
 * Reads the body to its end without keeping it; true once it passes `limit`
 * bytes (a declared Content-Length over the limit is refused unread).
 *
 * Listeners, as Fastify's own body reader uses, never an async iterator:
 * leaving a `for await` early destroys the request stream, which destroys the
 * socket under the answer still to be written, and Node then drops
 * `request.raw.socket` that the request log and `request.ip` read (a race that
 * crashed the process). Past the limit the reader simply stops listening; Node
 * discards the rest once the 413 is sent.
 */
export function discardBody(request: FastifyRequest, limit: number): Promise<boolean> {
  const declared = Number(request.headers["content-length"]);
  if (declared > limit) return Promise.resolve(true);
  const body = request.raw;
  return new Promise((resolve, reject) => {
    let received = 0;
    const stop = (): void => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      body.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) return;
      stop();
      resolve(true);
    };
    const onEnd = (): void => {
      stop();
      resolve(false);
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    // The client went away before the end: nothing more will come.
    const onClose = (): void => {
      stop();
      reject(new Error("request closed before its body ended"));
    };
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    body.on("close", onClose);
  });
}
