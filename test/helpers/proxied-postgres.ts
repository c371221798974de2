import { type TestDatabase, type TestDatabaseFactory, testDatabases } from "./databases.js";
import { TcpProxy } from "./tcp-proxy.js";

/** A fresh PostgreSQL database reached through a TcpProxy the test can cut or stall. */
export interface ProxiedPostgres {
  database: TestDatabase;
  proxy: TcpProxy;
  /** The database's URL through the proxy: the DATABASE_URL of the server under test. */
  url: string;
  /** Closes the proxy, then drops the database (close the servers first). */
  close(): Promise<void>;
}

/** The PostgreSQL factory of this run, and the reason to skip when there is none. */
export async function postgresFactory(): Promise<{
  postgres?: Extract<TestDatabaseFactory, { create: unknown }>;
  skip: string | false;
}> {
  const factory = (await testDatabases()).find((candidate) => candidate.name === "postgres");
  if (!factory) return { skip: "no PostgreSQL factory" };
  if ("skip" in factory) return { skip: factory.skip };
  return { postgres: factory, skip: false };
}

export async function proxiedPostgres(postgres: {
  create(): Promise<TestDatabase>;
}): Promise<ProxiedPostgres> {
  const database = await postgres.create();
  const direct = new URL(database.url);
  const proxy = new TcpProxy(Number(direct.port || 5432));
  const url = new URL(database.url);
  url.port = String(await proxy.start());
  url.hostname = "127.0.0.1";
  return {
    database,
    proxy,
    url: url.toString(),
    async close() {
      try {
        await proxy.close();
      } finally {
        await database.drop();
      }
    },
  };
}
