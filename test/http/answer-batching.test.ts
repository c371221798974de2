import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { request } from "../helpers/http.js";
import { startBuiltApp, startTestServer, type TestServer } from "../helpers/server.js";

/** Opens `count` connections and resolves once the server has accepted each. */
async function openConnections(server: TestServer, count: number): Promise<Socket[]> {
  let accepted = 0;
  const allAccepted = new Promise<void>((resolve) => {
    const onConnection = () => {
      if (++accepted < count) return;
      server.app.server.off("connection", onConnection);
      resolve();
    };
    server.app.server.on("connection", onConnection);
  });
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(server.port, "127.0.0.1", () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  await allAccepted;
  return sockets;
}

/** Resolves with what the server sent once a whole answer to GET / arrived. */
function answerOn(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("Bienvenue")) resolve(received);
    });
  });
}

describe("answers finished in one event-loop turn are written together", () => {
  let server: TestServer;
  /** What the server did, in order: "request" when it got one, "write" when it wrote an answer. */
  const events: string[] = [];
  before(async () => {
    server = await startTestServer();
    server.app.server.prependListener("request", () => events.push("request"));
    server.app.server.on("connection", (socket: Socket) => {
      const write = socket.write;
      socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
        events.push("write");
        return write.apply(this, args);
      } as Socket["write"];
    });
  });
  after(async () => server.close());

  test("requests read in the same turn are all handled before the first answer is written", async () => {
    const sockets = await openConnections(server, 3);
    events.length = 0;
    const answers = sockets.map(answerOn);
    // Written in one go, the three requests are in the kernel before the
    // server polls again, so one poll reads them all (one turn).
    for (const socket of sockets) socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    for (const answer of await Promise.all(answers)) assert.match(answer, /^HTTP\/1\.1 200 OK/);
    // Each answer is two writes (head and body); unbatched, the first answer's
    // writes would come before the second request.
    assert.equal(events.filter((event) => event === "request").length, 3);
    assert.ok(
      events.lastIndexOf("request") < events.indexOf("write"),
      `every request before any write: ${events.join(", ")}`,
    );
    for (const socket of sockets) socket.destroy();
  });

  test("a lone request is answered without waiting for anything else", async () => {
    const r = await request(server.url, "GET", "/");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { message: "Bienvenue" });
  });
});

test("a failure while a waiting answer is written goes to the error handler, not the event loop", {
  // Thrown into the event loop instead, it would leave the request hanging.
  timeout: 20_000,
}, async () => {
  // Not a route of the service: a header value Node refuses, so writeHead()
  // throws inside the deferred write.
  const { url, close } = await startBuiltApp({}, (app) => {
    app.get("/broken-header", async (_request, reply) => {
      reply.header("x-broken", "one\ntwo");
      return { message: "never sent" };
    });
  });
  try {
    const r = await request(url, "GET", "/broken-header");
    // Fastify's last-resort answer when writing the error's own headers fails
    // too: the same as when the write is not deferred.
    assert.equal(r.status, 500);
    assert.equal(JSON.parse(r.text).statusCode, 500);
    assert.equal((await request(url, "GET", "/")).status, 200, "the server carries on");
  } finally {
    await close();
  }
});
