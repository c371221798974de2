import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { connect } from "../../src/platform/db/connect.js";
import { allMigrations } from "../../src/platform/db/migrations/index.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp } from "../helpers/server.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "b4l0u-long-enough";

for (const factory of await testDatabases()) {
  describe(`accounts without a password, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const database of databases) await database.drop();
    });

    test(
      "the migration keeps every user, their rows and ids, and lets a password be null",
      TIMEOUT,
      async () => {
        if ("skip" in factory) return;
        const database = await factory.create();
        databases.push(database);
        const { db, dialect } = connect({ url: database.url });
        try {
          const migrations = allMigrations(dialect);
          const upTo = (last: string) =>
            new Migrator({
              db,
              provider: {
                getMigrations: async () =>
                  Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last)),
              },
            }).migrateToLatest();
          assert.equal((await upTo("0011-mfa-first-step")).error, undefined);
          const now = Date.now();
          const user = (email: string) => ({
            email,
            email_normalized: email,
            hashed_password: "$2b$04$hash",
            created_at: now,
            updated_at: now,
          });
          const kept = await db
            .insertInto("users")
            .values(user("kept@example.com"))
            .returning("id")
            .executeTakeFirstOrThrow();
          const gone = await db
            .insertInto("users")
            .values(user("gone@example.com"))
            .returning("id")
            .executeTakeFirstOrThrow();
          await db.deleteFrom("users").where("id", "=", gone.id).execute();
          await db
            .insertInto("sessions")
            .values({
              public_id: "p",
              token_hash: "t",
              user_id: Number(kept.id),
              created_at: now,
              last_seen_at: now,
              expires_at: now + 60_000,
              ip: null,
              user_agent: null,
            })
            .execute();

          assert.equal((await upTo("0012-users-without-password")).error, undefined);

          const rows = await db.selectFrom("users").selectAll().execute();
          assert.deepEqual(
            rows.map((row) => [Number(row.id), row.email, row.hashed_password]),
            [[Number(kept.id), "kept@example.com", "$2b$04$hash"]],
          );
          const none = await db
            .insertInto("users")
            .values({ ...user("nopassword@example.com"), hashed_password: null })
            .returning("id")
            .executeTakeFirstOrThrow();
          assert.ok(Number(none.id) > Number(gone.id), "a deleted user's id is never given again");
          // The other tables still refer to users: a delete cascades, a stray id is refused.
          await db.deleteFrom("users").where("id", "=", kept.id).execute();
          assert.equal((await db.selectFrom("sessions").selectAll().execute()).length, 0);
          await assert.rejects(
            db
              .insertInto("sessions")
              .values({
                public_id: "q",
                token_hash: "u",
                user_id: 999_999,
                created_at: now,
                last_seen_at: now,
                expires_at: now + 60_000,
                ip: null,
                user_agent: null,
              })
              .execute(),
            /FOREIGN KEY|foreign key/,
          );
          if (dialect === "sqlite") {
            const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(
              db,
            );
            assert.equal(check.rows[0]?.integrity_check, "ok");
          }
        } finally {
          await db.destroy();
        }
      },
    );

    test(
      "every password path through the server fails as a wrong password; a reset gives one",
      TIMEOUT,
      async () => {
        if ("skip" in factory) return;
        const database = await factory.create();
        databases.push(database);
        const server = await startTestApp({ DATABASE_URL: database.url });
        try {
          const email = "nopassword@example.com";
          const form = { email, password: PASSWORD };
          assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
          const { db } = connect({ url: database.url });
          try {
            await db.updateTable("users").set({ hashed_password: null }).execute();
          } finally {
            await db.destroy();
          }
          const { auth } = server.service;
          // Logins: every way in refuses, as a wrong password would.
          assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 401);
          const basic = `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString("base64")}`;
          assert.equal(
            (await request(server.url, "GET", "/profile", { headers: { authorization: basic } }))
              .status,
            403,
          );
          assert.equal(await auth.validLogin(email, PASSWORD), false);
          assert.equal(await auth.validLogin(email, ""), false);
          // A session opened another way cannot change the password it does not have.
          const token = await auth.createSession(email);
          const cookie = `session_id=${token}`;
          const changed = await request(server.url, "PUT", "/profile/password", {
            cookie,
            form: { current_password: "", new_password: "a new passphrase" },
          });
          assert.notEqual(changed.status, 200);
          assert.equal((await server.service.db.findUserBy({ email })).hashedPassword, null);
          // A reset gives the account a password, and it signs in.
          const reset = await request(server.url, "POST", "/reset_password", { form: { email } });
          const resetToken = (reset.body as { reset_token: string }).reset_token;
          const done = await request(server.url, "PUT", "/reset_password", {
            form: { email, reset_token: resetToken, new_password: "a new passphrase" },
          });
          assert.equal(done.status, 200);
          const login = await request(server.url, "POST", "/sessions", {
            form: { email, password: "a new passphrase" },
          });
          assert.equal(login.status, 200);
          assert.ok(sessionCookieOf(login));
        } finally {
          await server.close();
        }
      },
    );
  });
}
