import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { type ServeProcess, spawnServers, stopServers } from "./helpers/cli.js";
import { type TestDatabase, testDatabases, testRedis } from "./helpers/databases.js";
import { request, sessionCookieOf } from "./helpers/http.js";
import { tempDir } from "./helpers/server.js";

/** Wrong passwords sent to the instances in turn; returns the statuses in order. */
async function alternateFailures(
  servers: ServeProcess[],
  email: string,
  count: number,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = servers[i % servers.length] as ServeProcess;
    statuses.push(
      (await request(server.url, "POST", "/sessions", { form: { email, password: `wrong-${i}` } }))
        .status,
    );
  }
  return statuses;
}

const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

describe("two server processes over one PostgreSQL", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  let database: TestDatabase;
  let servers: ServeProcess[] = [];

  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    const env = { DATABASE_URL: database.url, BCRYPT_COST: "4" };
    servers = await spawnServers(env, 2);
  });
  after(async () => {
    try {
      await stopServers(servers);
    } finally {
      await database?.drop();
    }
  });

  test("a session made on one works on the other; logout on one ends it on both", async () => {
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const form = { email: "shared@example.com", password: "b4l0u" };
    assert.equal((await request(a.url, "POST", "/users", { form })).status, 200);
    assert.equal(
      (await request(b.url, "POST", "/users", { form })).status,
      400,
      "the other instance sees the user",
    );
    const cookie = `session_id=${sessionCookieOf(await request(a.url, "POST", "/sessions", { form }))}`;
    assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 200);
    assert.equal((await request(b.url, "DELETE", "/sessions", { cookie })).status, 303);
    assert.equal((await request(a.url, "GET", "/profile", { cookie })).status, 403);
    assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 403);
  });

  test("failed logins alternated between the instances reach the shared threshold", async () => {
    const email = "guessed@example.com";
    await request(servers[0]?.url ?? "", "POST", "/users", { form: { email, password: "b4l0u" } });
    const statuses = await alternateFailures(servers, email, 11);
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    const locked = await request(servers[1]?.url ?? "", "POST", "/sessions", {
      form: { email, password: "b4l0u" },
    });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) >= 1);
  });
});

const redis = await testRedis();

describe("two server processes sharing throttling through Redis", {
  skip: "skip" in redis ? redis.skip : false,
}, () => {
  let servers: ServeProcess[] = [];
  const folder = tempDir();

  before(async () => {
    if ("skip" in redis) return;
    const env = {
      DATABASE_URL: `sqlite:${join(folder.dir, "shared.db")}`,
      BCRYPT_COST: "4",
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
    };
    servers = await spawnServers(env, 2);
  });
  after(async () => {
    try {
      await stopServers(servers);
    } finally {
      folder.remove();
      if (!("skip" in redis)) await redis.clear();
    }
  });

  test("failures alternated between the instances lock the account, and the state is in Redis", async () => {
    if ("skip" in redis) return;
    const email = "redis-guessed@example.com";
    const statuses = await alternateFailures(servers, email, 11);
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    const client = new Redis(redis.url);
    try {
      assert.equal(await client.get(`${redis.keyPrefix}count:account:${email}`), "10");
      // Ten failures lock this address out of the account (the account-wide lock needs 100).
      const pair = `account-from:127.0.0.1|${email}`;
      assert.equal(await client.get(`${redis.keyPrefix}count:${pair}`), "10");
      assert.ok(Number(await client.get(`${redis.keyPrefix}lock:${pair}`)) > Date.now());
    } finally {
      client.disconnect();
    }
  });
});
