import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status this request was answered with. */
  status: number;
  /** When its body had arrived (Date.now()). */
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** The status of the next answers (200 by default). */
  answer(status: number): void;
  /** Starts listening again on the same port after close(). */
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP endpoint on a free port (or `port`) that records every request. */
export async function startWebhookReceiver(
  options: { port?: number; status?: number; delayMs?: number } = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let status = options.status ?? 200;
  let server: Server | undefined;
  let port = options.port ?? 0;
  const listen = async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const answerWith = status;
        received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          status: answerWith,
          receivedAt: Date.now(),
        });
        const reply = () => response.writeHead(answerWith, { connection: "close" }).end("ok");
        if (options.delayMs) setTimeout(reply, options.delayMs);
        else reply();
      });
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => resolve());
    });
    port = (listening.address() as AddressInfo).port;
  };
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}/hooks`;
    },
    get port() {
      return port;
    },
    received,
    answer(next) {
      status = next;
    },
    listen,
    async close() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (taken from the OS, then freed). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `condition` holds; fails after `timeoutMs` with `what`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface HangingReceiver {
  url: string;
  /** Requests whose body arrived (none is ever answered). */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * A receiver that reads each request and never answers: the slow endpoint of
 * a penetration test, which held every other endpoint's deliveries back.
 */
export async function startHangingReceiver(): Promise<HangingReceiver> {
  let requests = 0;
  const server = createServer((request) => {
    request.resume();
    request.on("end", () => {
      requests++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
