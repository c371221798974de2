import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { KyselyStore } from "../../src/core/store/kysely-store.js";
import { withPostgresSessionCache } from "../../src/core/store/pg-session-cache.js";
import { SESSION_LISTENER_NAME } from "../../src/core/store/session-change-listener.js";
import { connect } from "../../src/platform/db/connect.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u";

const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

/** How long another instance may keep accepting a revoked session: the goal is 100 ms, the test allows a loaded machine more. */
const PROPAGATION_LIMIT_MS = 3000;

/**
 * Two instances over one PostgreSQL database, each with its session cache:
 * a session ended through one is refused by the other once the trigger's
 * notice arrives, and by none while its listener is down.
 */
describe("the session cache over PostgreSQL, across instances", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let admin: pg.Client;
  let users = 0;

  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    a = await startTestServer({ DATABASE_URL: database.url });
    b = await startTestServer({ DATABASE_URL: database.url });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  after(async () => {
    try {
      await admin?.end();
      await a?.close();
      await b?.close();
    } finally {
      await database?.drop();
    }
  });

  /** A new user logged in through A, the session already looked up (and cached) by B. */
  async function sessionSeenByB(): Promise<{ email: string; cookie: string }> {
    const email = `cached${++users}@example.com`;
    const form = { email, password: PASSWORD };
    assert.equal((await request(a.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(a.url, "POST", "/sessions", { form }))}`;
    await listenersUp();
    for (let i = 0; i < 2; i++) {
      assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 200);
    }
    return { email, cookie };
  }

  /**
   * The listeners' connections (their backend pids), LISTEN done: its last
   * statement is the LISTEN, or the heartbeat's SELECT 1 that follows it.
   */
  async function listenerPids(): Promise<number[]> {
    const { rows } = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')",
      [SESSION_LISTENER_NAME],
    );
    return rows.map((row) => row.pid as number);
  }

  /** Waits until both instances' listeners are connected, on connections other than `old`. */
  async function listenersUp(old: number[] = []): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const fresh = (await listenerPids()).filter((pid) => !old.includes(pid));
      if (fresh.length >= 2) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail("the listeners did not come up");
  }

  /** Milliseconds until B answers 403 for the cookie. */
  async function untilBRefuses(cookie: string): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < PROPAGATION_LIMIT_MS) {
      if ((await request(b.url, "GET", "/profile", { cookie })).status === 403) {
        return performance.now() - started;
      }
    }
    return assert.fail(`B still accepted the session after ${PROPAGATION_LIMIT_MS} ms`);
  }

  test(
    "B serves a looked-up session from memory: a delete that sends no notice goes unseen",
    TIMEOUT,
    async () => {
      const { cookie } = await sessionSeenByB();
      // With the triggers off, the write is invisible to B's cache: shown only
      // to prove there is a cache to invalidate (the tests below need one).
      await admin.query("BEGIN");
      await admin.query("ALTER TABLE sessions DISABLE TRIGGER USER");
      await admin.query("DELETE FROM sessions");
      await admin.query("ALTER TABLE sessions ENABLE TRIGGER USER");
      await admin.query("COMMIT");
      assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 200);
      assert.equal((await request(a.url, "GET", "/profile", { cookie })).status, 403);
      // Any later notice about the user (here: the user's row touched) drops it.
      await admin.query("UPDATE users SET updated_at = updated_at");
      await untilBRefuses(cookie);
    },
  );

  test("a logout on A: A refuses at once, B within the bound", TIMEOUT, async () => {
    const { cookie } = await sessionSeenByB();
    assert.equal((await request(a.url, "GET", "/profile", { cookie })).status, 200);
    const logout = await request(a.url, "DELETE", "/sessions", { cookie });
    assert.equal(logout.status, 303);
    assert.equal((await request(a.url, "GET", "/profile", { cookie })).status, 403);
    await untilBRefuses(cookie);
  });

  test("a password change on A ends B's cached copies of the other sessions", TIMEOUT, async () => {
    const { email, cookie } = await sessionSeenByB();
    const form = { email, password: PASSWORD };
    const other = `session_id=${sessionCookieOf(await request(b.url, "POST", "/sessions", { form }))}`;
    assert.equal((await request(b.url, "GET", "/profile", { cookie: other })).status, 200);
    const changed = await request(a.url, "PUT", "/profile/password", {
      cookie,
      form: { current_password: PASSWORD, new_password: "n3w-pass" },
    });
    assert.equal(changed.status, 200);
    await untilBRefuses(other);
    assert.equal(
      (await request(b.url, "GET", "/profile", { cookie })).status,
      200,
      "the changer's own stays",
    );
  });

  test(
    "a delete by another writer (SQL, the CLI) reaches B through the trigger",
    TIMEOUT,
    async () => {
      const { email, cookie } = await sessionSeenByB();
      await admin.query("DELETE FROM users WHERE email_normalized = $1", [email]);
      await untilBRefuses(cookie);
    },
  );

  test(
    "with B's listener killed, B forgets what it held: a change it never heard of is not served",
    TIMEOUT,
    async () => {
      const { cookie } = await sessionSeenByB();
      // A delete that sends no notice: B's memory still holds the session.
      await admin.query("BEGIN");
      await admin.query("ALTER TABLE sessions DISABLE TRIGGER USER");
      await admin.query("DELETE FROM sessions");
      await admin.query("ALTER TABLE sessions ENABLE TRIGGER USER");
      await admin.query("COMMIT");
      assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 200);

      const before = await listenerPids();
      const { rows } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        [SESSION_LISTENER_NAME],
      );
      assert.equal(rows.length, 2, "both listeners were found and ended");
      // Both listeners are back on new connections, so each instance saw its
      // own go down; notices may have been missed meanwhile, so B must have
      // forgotten everything it held.
      await listenersUp(before);
      assert.equal((await request(b.url, "GET", "/profile", { cookie })).status, 403);

      // Back: the listeners reconnect by themselves and the cache works again.
      await listenersUp();
      const again = await sessionSeenByB();
      assert.equal(
        (await request(a.url, "DELETE", "/sessions", { cookie: again.cookie })).status,
        303,
      );
      await untilBRefuses(again.cookie);
    },
  );
});

describe("the PostgreSQL session cache while its listener is down", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  test("serves from memory only while the listener is up", TIMEOUT, async () => {
    if (!postgres || "skip" in postgres) return;
    const database = await postgres.create();
    const { db } = connect({ url: database.url });
    const store = new KyselyStore(db, "postgres");
    // The fault injected: a listener whose state the test sets.
    const listener = { up: true, close: async () => {} };
    const { store: cached, reset } = withPostgresSessionCache(store, listener);
    try {
      await store.migrate();
      const now = new Date();
      const user = await store.insertUser("down@example.com", "$2b$04$x", now);
      const tokenHash = "a".repeat(64);
      await store.insertSession({
        publicId: "p1",
        tokenHash,
        userId: user.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 60_000),
        ip: null,
        userAgent: null,
      });
      assert.ok(await cached.findSessionByTokenHash(tokenHash));
      await sql`ALTER TABLE sessions DISABLE TRIGGER USER`.execute(db);
      await sql`DELETE FROM sessions`.execute(db);
      assert.ok(await cached.findSessionByTokenHash(tokenHash), "kept in memory while up");
      listener.up = false;
      assert.equal(
        await cached.findSessionByTokenHash(tokenHash),
        null,
        "down: the database answers",
      );
      listener.up = true;
      reset(); // what the listener's reconnection does
      assert.equal(await cached.findSessionByTokenHash(tokenHash), null);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
