import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { describe, test } from "node:test";
import pg from "pg";
import { SessionChangeListener } from "../../src/core/store/session-change-listener.js";
import { OIDC_CHANGES_CHANNEL } from "../../src/platform/db/migrations/0018-oidc-change-notices.js";
import { testDatabases } from "../helpers/databases.js";

const TIMEOUT = { timeout: 60_000 };
const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

/**
 * A TCP relay to PostgreSQL that can stop passing bytes without closing
 * anything: a silent network partition (the fault injected).
 */
async function freezableRelay(target: URL): Promise<{
  port: number;
  freeze: () => void;
  thaw: () => void;
  close: () => Promise<void>;
}> {
  const sockets: Socket[] = [];
  const server: Server = createServer((inbound) => {
    const outbound = tcpConnect(Number(target.port || 5432), target.hostname);
    sockets.push(inbound, outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    for (const socket of [inbound, outbound]) socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    port: address.port,
    freeze: () => {
      for (const socket of sockets) socket.pause();
    },
    thaw: () => {
      for (const socket of sockets) socket.resume();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls `condition` every 20 ms; the milliseconds it took, or a failure past `ms`. */
async function within(ms: number, condition: () => boolean, what: string): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

describe("the change listener's lease", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  test(
    "a connection that goes silent stops counting as up within about two seconds, and comes back when it answers",
    TIMEOUT,
    async () => {
      if (!postgres || "skip" in postgres) return;
      const database = await postgres.create();
      const target = new URL(database.url);
      const relay = await freezableRelay(target);
      const relayed = new URL(database.url);
      relayed.hostname = "127.0.0.1";
      relayed.port = String(relay.port);
      const states: boolean[] = [];
      let notices = 0;
      const listener = new SessionChangeListener({
        url: relayed.toString(),
        onChange: () => {},
        onStateChange: (up) => states.push(up),
      });
      listener.watch(OIDC_CHANGES_CHANNEL, () => notices++);
      const admin = new pg.Client({ connectionString: database.url });
      try {
        await admin.connect();
        await listener.start();
        assert.equal(listener.up, true);
        const heard = notices;
        await admin.query(`NOTIFY ${OIDC_CHANGES_CHANNEL}`);
        await within(2000, () => notices > heard, "a notice heard");

        // While silent, beats do not queue checks behind the unanswered one.
        const queued: string[] = [];
        const onWarning = (warning: Error) => {
          if (/already executing a query/.test(warning.message)) queued.push(warning.message);
        };
        process.on("warning", onWarning);
        relay.freeze();
        const frozenFor = await within(3500, () => !listener.up, "down once silent");
        process.off("warning", onWarning);
        assert.ok(frozenFor < 3500, `down after ${Math.round(frozenFor)} ms`);
        assert.deepEqual(states, [true, false]);
        assert.deepEqual(queued, [], "a check queued behind an unanswered one");

        relay.thaw();
        await within(3000, () => listener.up, "up again once it answers");
        assert.deepEqual(states, [true, false, true]);
      } finally {
        await admin.end().catch(() => {});
        // The relay first: a listener closing over a frozen connection would wait for ever.
        await relay.close();
        await listener.close();
        await database.drop();
      }
    },
  );
});
