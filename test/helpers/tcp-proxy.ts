import net from "node:net";

/** One relayed connection: the service's socket and the database's. */
interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes the client sent while the relay was stalled, delivered on resume in order. */
  held: Buffer[];
  /** The client hung up while stalled: close upstream once the held bytes are out. */
  clientEnded: boolean;
  /** This connection sent the `after` text of stallOn: its next match stalls. */
  armed: boolean;
}

interface StallPoint {
  text: string;
  /** Only on a connection that sent this before (e.g. the INSERT, then its COMMIT). */
  after?: string;
  onStall: () => void;
}

/**
 * A TCP relay between the service and its database that a test can cut,
 * stall and restore, to play an outage without touching the shared
 * PostgreSQL.
 *
 * - cut(): drops every open connection and accepts new ones without
 *   answering, like a network that swallows packets, so clients must rely on
 *   their timeouts; restore() ends that.
 * - stall(): keeps the connections open but moves no byte either way (a
 *   database that stopped answering mid-request); resume() delivers what was
 *   held, in order, as a network that comes back does, even from a client
 *   that hung up meanwhile (its bytes were already on the wire).
 * - stallOn(text): stalls at the first client packet that contains `text`
 *   (e.g. `insert into "users"`), before forwarding it: a stall at a chosen
 *   point of a write; with `after`, only on a connection that sent that
 *   first (the COMMIT of the transaction that inserted a user).
 */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #targetHost: string;
  readonly #sockets = new Set<net.Socket>();
  readonly #pairs = new Set<Pair>();
  #server: net.Server | undefined;
  #cut = false;
  #stalled = false;
  #stallOn: StallPoint | undefined;

  constructor(targetPort: number, targetHost = "127.0.0.1") {
    this.#targetPort = targetPort;
    this.#targetHost = targetHost;
  }

  async start(): Promise<number> {
    this.#server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    const address = this.#server.address();
    if (!address || typeof address === "string") throw new Error("proxy has no port");
    return address.port;
  }

  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    for (const socket of this.#sockets) socket.destroy(); // the swallowed ones
    this.#sockets.clear();
    this.#cut = false;
  }

  stall(): void {
    this.#stalled = true;
  }

  /** Stalls when a client packet contains `text`; `onStall` is told when that happens. */
  stallOn(text: string, options: { after?: string; onStall?: () => void } = {}): void {
    for (const pair of this.#pairs) pair.armed = false;
    this.#stallOn = { text, after: options.after, onStall: options.onStall ?? (() => {}) };
  }

  resume(): void {
    this.#stalled = false;
    this.#stallOn = undefined;
    for (const pair of this.#pairs) {
      for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk);
      if (pair.clientEnded) pair.upstream.end();
      else pair.client.resume();
      pair.upstream.resume();
    }
  }

  async close(): Promise<void> {
    this.#stalled = false;
    this.cut();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  #accept(client: net.Socket): void {
    this.#track(client);
    if (this.#cut) return; // held open, never answered
    const upstream = net.connect(this.#targetPort, this.#targetHost);
    this.#track(upstream);
    const pair: Pair = { client, upstream, held: [], clientEnded: false, armed: false };
    this.#pairs.add(pair);
    client.on("data", (chunk: Buffer) => {
      const point = this.#stallOn;
      const text = point ? chunk.toString("latin1") : "";
      if (point && (point.after === undefined || pair.armed) && text.includes(point.text)) {
        this.#stallOn = undefined;
        this.#stalled = true;
        point.onStall();
      } else if (point?.after !== undefined && text.includes(point.after)) pair.armed = true;
      if (this.#stalled) pair.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      // The database's answers wait too: nothing reaches the service while stalled.
      if (this.#stalled) {
        upstream.pause();
        upstream.unshift(chunk);
      } else client.write(chunk);
    });
    const forget = () => this.#pairs.delete(pair);
    client.on("close", () => {
      if (this.#stalled && !upstream.destroyed) {
        pair.clientEnded = true; // delivered, then closed, on resume
        return;
      }
      forget();
      upstream.destroy();
    });
    upstream.on("close", () => {
      forget();
      client.destroy();
    });
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => {});
  }
}
