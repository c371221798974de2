import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { type BuildAppOptions, buildApp } from "../../src/main/app.js";
import { loadConfig } from "../../src/main/config.js";
import { createAuth } from "../../src/main/create-auth.js";
import { type RunningServer, startServer } from "../../src/main/server.js";
import { injectAddress } from "./http.js";

/** Fast hashing for tests that are not about hashing: bcrypt's lowest cost. */
export const TEST_ENV = {
  HOST: "127.0.0.1",
  PORT: "0",
  BCRYPT_COST: "4",
  LOG_LEVEL: "silent",
} as const;

export interface TestServer extends RunningServer {
  databaseUrl: string;
}

/**
 * A real server on a free port over a fresh SQLite file (unless the env names
 * another database). Close it at the end; the temporary folder is removed with it.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: Parameters<typeof startServer>[1] = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "auth-test-"));
  const databaseUrl = env.DATABASE_URL ?? `sqlite:${join(dir, "auth.db")}`;
  const config = loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl, ...env });
  const server = await startServer(config, options);
  return {
    ...server,
    databaseUrl,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The same service as startTestServer, reached in process (`app.inject`)
 * instead of over a socket: for tests where the network is not the point.
 * Its `url` is an `inject://` address that `request` (helpers/http.ts) knows.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Omit<Parameters<typeof startServer>[1], "listen"> = {},
): Promise<TestServer> {
  const server = await startTestServer(env, { ...options, listen: false });
  const address = injectAddress(server.app);
  return {
    ...server,
    url: address.url,
    async close() {
      address.forget();
      await server.close();
    },
  };
}

/** A temporary folder removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "auth-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BuiltApp {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Closes the app, then its database. */
  close(): Promise<void>;
}

/**
 * buildApp() over an in-memory SQLite Auth, listening on a free port: for an
 * app the service's own start-up would not build (no logger, or routes that
 * `extend` adds before it listens).
 */
export async function startBuiltApp(
  options: Omit<BuildAppOptions, "auth" | "config"> = {},
  extend: (app: FastifyInstance) => void = () => {},
): Promise<BuiltApp> {
  const service = await createAuth({ databaseUrl: "sqlite::memory:" });
  const app = await buildApp({
    ...options,
    auth: service.auth,
    config: { bodyLimit: 65_536, trustProxy: false, trustedOrigins: [] },
  });
  const close = async () => {
    await app.close();
    await service.close();
  };
  try {
    extend(app);
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    return { app, url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
