import net from "node:net";

/**
 * A TCP relay between the service and its database that a test can cut and
 * restore, to play an outage without touching the shared PostgreSQL. While cut,
 * it drops every open connection and accepts new ones without answering, like
 * a network that swallows packets, so clients must rely on their timeouts.
 */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #targetHost: string;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #cut = false;

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

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  #accept(client: net.Socket): void {
    this.#track(client);
    if (this.#cut) return; // held open, never answered
    const upstream = net.connect(this.#targetPort, this.#targetHost);
    this.#track(upstream);
    client.pipe(upstream).pipe(client);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => {});
  }
}
