import type { ServerResponse } from "node:http";

type End = ServerResponse["end"];

let waiting: (() => void)[] = [];

function writeAll(): void {
  const batch = waiting;
  waiting = [];
  for (const write of batch) write();
}

/**
 * The same batching as answer-batching.ts, for an answer written straight to
 * the raw response by another framework (oidc-provider's koa, behind a
 * hijacked reply): its end() waits for the end of the event loop's turn, so
 * the turn's answers leave back to back and only the first one wakes the
 * reader (see docs/PERFORMANCE.md, "Answers written together"). An end()
 * with a callback is passed on at once.
 */
export function batchRawAnswer(response: ServerResponse): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    if (args.some((arg) => typeof arg === "function")) return end(...args);
    if (waiting.length === 0) setImmediate(writeAll);
    waiting.push(() => {
      if (!response.destroyed) end(...args);
    });
    return response;
  }) as End;
}
