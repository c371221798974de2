import assert from "node:assert/strict";
import net, { type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import type { ConnectionError, FastifyBaseLogger } from "fastify";
import { earlyErrorOptions } from "../../src/platform/http/framework-errors.js";
import { splitSecurityHeaders } from "../../src/platform/http/security-headers.js";
import { request } from "../helpers/http.js";
import { startBuiltApp, startTestServer, type TestServer } from "../helpers/server.js";

/** The headers every answer carries (development mode: no HSTS). */
const EVERY_ANSWER = splitSecurityHeaders({ production: false }).everyAnswer;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMEOUT = { timeout: 15_000 };

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Writes bytes no HTTP client would send, and reads the answer until the server closes. */
function exchange(url: string, bytes: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server may close while we still write (an oversized header): what it said counts.
    socket.on("error", () => {});
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
        return;
      }
      const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4) });
    });
  });
}

/** The one error shape, a request id and the security headers of every answer. */
function assertShaped(
  answer: { status: number; body: unknown; header: (name: string) => string | null | undefined },
  status: number,
  code: string,
): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.header("content-type"), "application/json; charset=utf-8");
  const body = answer.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ["error", "message"]);
  assert.equal(body.error, code);
  assert.equal(typeof body.message, "string");
  assert.match(answer.header("x-request-id") ?? "", UUID);
  for (const [name, value] of Object.entries(EVERY_ANSWER))
    assert.equal(answer.header(name), value, name);
}

describe("answers made before any route: the one error shape and the security headers", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  for (const path of ["/sessions/%ZZ", "/sessions/%ED%A0%80", "/%"]) {
    test(`DELETE ${path}: a bad percent-encoding, 400`, TIMEOUT, async () => {
      const r = await request(server.url, "DELETE", path);
      assertShaped({ ...r, header: (name) => r.headers.get(name) }, 400, "invalid_url");
      // Fastify's own body quoted the path back.
      assert.ok(!r.text.includes(path), r.text);
    });
  }

  test("an over-long path parameter: 414", TIMEOUT, async () => {
    const r = await request(server.url, "DELETE", `/sessions/${"x".repeat(200)}`);
    assertShaped({ ...r, header: (name) => r.headers.get(name) }, 414, "uri_too_long");
  });

  const malformed: [string, string][] = [
    ["a control character in the request line", "GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["an unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a control character in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n"],
    [
      "not HTTP at all",
      "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n",
    ],
  ];
  for (const [name, bytes] of malformed) {
    test(`Node's parser refuses ${name}: 400, and the connection closes`, TIMEOUT, async () => {
      const answer = await exchange(server.url, bytes);
      assertShaped(
        {
          status: answer.status,
          body: JSON.parse(answer.body),
          header: (h) => answer.headers.get(h),
        },
        400,
        "invalid_request",
      );
      assert.equal(answer.headers.get("connection"), "close");
      assert.equal(answer.headers.get("content-length"), String(Buffer.byteLength(answer.body)));
    });
  }

  test("headers over Node's 16 KiB: 431, and the connection closes", TIMEOUT, async () => {
    const answer = await exchange(
      server.url,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    assertShaped(
      {
        status: answer.status,
        body: JSON.parse(answer.body),
        header: (h) => answer.headers.get(h),
      },
      431,
      "headers_too_large",
    );
    assert.equal(answer.headers.get("connection"), "close");
  });

  test("the server still serves", TIMEOUT, async () => {
    assert.equal((await request(server.url, "GET", "/health")).status, 200);
  });
});

test("a failing async route constraint: a 500 of our shape, not Fastify's", TIMEOUT, async () => {
  const built = await startBuiltApp({}, (app) => {
    app.addConstraintStrategy({
      name: "tenant",
      storage: () => {
        const store = new Map<string, unknown>();
        return {
          get: (key: string) => (store.get(key) ?? null) as never,
          set: (key: string, value: unknown) => {
            store.set(key, value);
          },
        };
      },
      // Three parameters: Fastify waits for done(), as for a lookup in a store.
      deriveConstraint: (_request: unknown, _context: unknown, done: (error: Error) => void) =>
        done(new Error("tenant store unreachable")),
      mustMatchWhenDerived: true,
    } as never);
    app.get("/tenant", { constraints: { tenant: "a" } }, async () => "unreachable");
  });
  try {
    const r = await request(built.url, "GET", "/tenant");
    assertShaped({ ...r, header: (name) => r.headers.get(name) }, 500, "internal_error");
    assert.ok(!r.text.includes("tenant store"), "the detail stays in the log");
  } finally {
    await built.close();
  }
});

describe("clientErrorHandler keeps Node's and Fastify's safety", () => {
  const { clientErrorHandler } = earlyErrorOptions({ production: true });

  function run(
    code: string,
    socketState: { writable?: boolean; destroyed?: boolean; answerStarted?: boolean } = {},
  ) {
    const written: string[] = [];
    const logged: unknown[] = [];
    let destroyed = false;
    const socket = {
      writable: socketState.writable ?? true,
      destroyed: socketState.destroyed ?? false,
      _httpMessage: socketState.answerStarted ? { headersSent: true } : null,
      write: (chunk: string) => written.push(chunk) > 0,
      destroy: () => {
        destroyed = true;
      },
    } as unknown as Socket;
    const error = Object.assign(new Error(code), {
      code,
      bytesParsed: 0,
      rawPacket: Buffer.from("POST /sessions HTTP/1.1\r\n\r\nemail=a&password=hunter2-secret"),
    }) as unknown as ConnectionError;
    const log = {
      debug: (...args: unknown[]) => logged.push(args),
    } as unknown as FastifyBaseLogger;
    clientErrorHandler.call({ log }, error, socket);
    return { written: written.join(""), logged: JSON.stringify(logged), destroyed };
  }

  test("a request timeout: 408 with HSTS in production, then the socket is destroyed", () => {
    const { written, destroyed } = run("ERR_HTTP_REQUEST_TIMEOUT");
    assert.match(written, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(written, /\r\nconnection: close\r\n/);
    assert.match(written, /\r\nstrict-transport-security: max-age=/);
    assert.match(written, /\r\n\r\n\{"message":"[^"]+","error":"request_timeout"\}$/);
    assert.ok(destroyed);
  });

  test("nothing is written to a socket that is not writable", () => {
    const { written, destroyed } = run("HPE_INVALID_METHOD", { writable: false });
    assert.equal(written, "");
    assert.ok(destroyed);
  });

  test("nothing is written over an answer already started on the connection", () => {
    const { written, destroyed } = run("HPE_INVALID_CONSTANT", { answerStarted: true });
    assert.equal(written, "");
    assert.ok(destroyed);
  });

  test("a reset or closed connection: nothing at all", () => {
    assert.deepEqual(run("ECONNRESET"), { written: "", logged: "[]", destroyed: false });
    assert.deepEqual(run("HPE_INVALID_METHOD", { destroyed: true }), {
      written: "",
      logged: "[]",
      destroyed: false,
    });
  });

  test("the log line names the code, never the request's bytes", () => {
    const { logged } = run("HPE_INVALID_METHOD");
    assert.match(logged, /HPE_INVALID_METHOD/);
    assert.ok(!logged.includes("hunter2-secret"), logged);
    assert.ok(!logged.includes("rawPacket"), logged);
  });
});
