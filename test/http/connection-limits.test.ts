import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({
    REQUEST_TIMEOUT: "2s",
    HEADERS_TIMEOUT: "1s",
    MAX_CONNECTIONS: "3",
  });
});
after(() => server.close());

/** A raw connection to the server, with what it received and when it ended. */
async function openSocket(): Promise<{
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString();
  });
  socket.on("error", () => {});
  const opened = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once("close", () => resolve(performance.now() - opened)),
  );
  return { socket, received: () => received, closed };
}

test("a body announced and never sent is cut after REQUEST_TIMEOUT (checked through a socket)", {
  timeout: 20_000,
}, async () => {
  const client = await openSocket();
  client.socket.write(
    "POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
  );
  const elapsed = await client.closed;
  // 2 s of timeout, swept every quarter of the headers timeout; generous for a loaded machine.
  assert.ok(elapsed >= 1500 && elapsed < 8000, `cut after ${Math.round(elapsed)} ms`);
  assert.match(client.received(), /^HTTP\/1\.1 408/);
});

test("headers trickled and never finished are cut after HEADERS_TIMEOUT", {
  timeout: 20_000,
}, async () => {
  const client = await openSocket();
  client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const timer = setInterval(() => client.socket.write("X-Slow: 1\r\n"), 200);
  try {
    const elapsed = await client.closed;
    assert.ok(elapsed >= 700 && elapsed < 6000, `cut after ${Math.round(elapsed)} ms`);
  } finally {
    clearInterval(timer);
  }
});

test("connections past MAX_CONNECTIONS are closed as they arrive; the others are served", {
  timeout: 20_000,
}, async () => {
  const held = await Promise.all([openSocket(), openSocket(), openSocket()]);
  try {
    const extra = await openSocket();
    extra.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await extra.closed;
    assert.equal(extra.received(), "", "the extra connection got no answer");
    const first = held[0];
    assert.ok(first);
    first.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.match(first.received(), /^HTTP\/1\.1 200/);
  } finally {
    for (const client of held) client.socket.destroy();
  }
});
