import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type {
  ConnectionError,
  FastifyBaseLogger,
  FastifyError,
  FastifyReply,
  FastifyRequest,
} from "fastify";
import {
  clientErrorAnswer,
  type ErrorAnswer,
  type ErrorBody,
  frameworkErrorAnswer,
  sendError,
} from "./error-answer.js";
import { splitSecurityHeaders } from "./security-headers.js";

/**
 * The Fastify constructor options for the answers made before any route or
 * hook runs, so they skip the error handler and every-request.ts: Fastify's
 * router failures (a bad percent-encoding, an over-long path parameter) and
 * Node's HTTP parser failures (a malformed request line, headers over
 * maxHeaderSize, a request timeout). Both get the one error shape, the
 * security headers of every answer and a request id.
 */
export interface EarlyErrorOptions {
  frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;
  clientErrorHandler: (
    this: { log: FastifyBaseLogger },
    error: ConnectionError,
    socket: Socket,
  ) => void;
}

export function earlyErrorOptions(options: { production: boolean }): EarlyErrorOptions {
  const headers = splitSecurityHeaders(options).everyAnswer;
  const headerLines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return {
    frameworkErrors(error, request, reply) {
      const answer = frameworkErrorAnswer(error.code);
      if (answer.status >= 500) request.log.error({ err: error }, "unexpected framework error");
      reply.header("x-request-id", request.id);
      reply.headers(headers);
      sendError(reply, answer.status, answer.code, answer.message);
    },
    clientErrorHandler(error, socket) {
      // A reset connection (or one already closed) has no one left to answer.
      if (error.code === "ECONNRESET" || socket.destroyed) return;
      const answer = clientErrorAnswer(error.code);
      const id = randomUUID();
      // Never the error itself: its rawPacket holds the request's bytes (cookies, passwords).
      this.log.debug({ reqId: id, code: error.code, status: answer.status }, "client error");
      if (canAnswer(socket)) socket.write(rawAnswer(answer, id, headerLines));
      // As Node and Fastify do: the parser's state is lost, the connection cannot go on.
      socket.destroy(error);
    },
  };
}

/**
 * Node's own rule (socketOnError in _http_server.js): write only to a writable
 * socket on which no answer has started, or the bytes would corrupt that one.
 */
function canAnswer(socket: Socket): boolean {
  if (!socket.writable) return false;
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return inFlight?.headersSent !== true;
}

function rawAnswer(answer: ErrorAnswer, id: string, headerLines: string): string {
  const body = JSON.stringify({ message: answer.message, error: answer.code } satisfies ErrorBody);
  return (
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? "Error"}\r\n` +
    "content-type: application/json; charset=utf-8\r\n" +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    "connection: close\r\n" +
    `x-request-id: ${id}\r\n` +
    headerLines +
    `\r\n${body}`
  );
}
