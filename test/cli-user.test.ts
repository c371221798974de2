import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAuth } from "../src/create-auth.js";
import { runCli } from "./helpers/cli.js";
import { type TestDatabase, testDatabases } from "./helpers/databases.js";

for (const factory of await testDatabases()) {
  describe(`auth-service user on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      env = { DATABASE_URL: database.url, BCRYPT_COST: "4" };
    });
    after(async () => database?.drop());

    test("create (password from stdin), list, show, revoke-sessions, delete; audited", async () => {
      const created = runCli(["user", "create", "Ops@Example.com"], env, "s3cret-pass\n");
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /created user \d+ Ops@Example\.com/);
      assert.doesNotMatch(created.stdout + created.stderr, /s3cret-pass/);
      const refused = runCli(["user", "create", "weak@example.com"], env, "abc\n");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /at least 5 characters/);
      const taken = runCli(["user", "create", "ops@example.com"], env, "s3cret-pass\n");
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already exists/);

      // Two sessions, opened through the library as a login would.
      const service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      try {
        assert.ok(await service.auth.login("ops@example.com", "s3cret-pass", { ip: "192.0.2.1" }));
        assert.ok(await service.auth.login("ops@example.com", "s3cret-pass"));
        await service.auth.registerUser("second@example.com", "b4l0u");
      } finally {
        await service.close();
      }

      const list = runCli(["user", "list", "--json"], env);
      assert.equal(list.code, 0, list.stderr);
      const users = list.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        users.map((user) => [user.email, user.sessions]),
        [
          ["Ops@Example.com", 2],
          ["second@example.com", 0],
        ],
      );
      assert.ok(!list.stdout.includes("$2b$"), "no hash in the list");
      const page = runCli(["user", "list", "--json", "--after", String(users[0].id)], env);
      assert.equal(page.stdout.trim().split("\n").length, 1);

      const show = runCli(["user", "show", "OPS@example.com"], env);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /password\s+bcrypt/);
      assert.match(show.stdout, /sessions\s+2/);
      assert.match(show.stdout, /192\.0\.2\.1/);
      assert.doesNotMatch(show.stdout, /\$2b\$/);

      const revoked = runCli(["user", "revoke-sessions", "ops@example.com"], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /ended 2 session\(s\)/);
      assert.match(runCli(["user", "show", "ops@example.com"], env).stdout, /sessions\s+0/);

      const unconfirmed = runCli(["user", "delete", "ops@example.com"], env);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.stderr, /add --yes/);
      assert.equal(runCli(["user", "delete", "ops@example.com", "--yes"], env).code, 0);
      const gone = runCli(["user", "show", "ops@example.com"], env);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no user with the email/);
      assert.equal(runCli(["user", "delete", "ops@example.com", "--yes"], env).code, 1);

      const audit = runCli(["audit", "--email", "ops@example.com"], env).stdout;
      for (const event of ["register", "sessions_revoked", "user_deleted"]) {
        assert.match(audit, new RegExp(`${event}\\s+success .*agent="auth-service cli"`), event);
      }
    });

    test("--help for user and each subcommand's arguments", () => {
      const help = runCli(["user", "--help"]);
      assert.equal(help.code, 0);
      for (const command of ["list", "show", "create", "delete", "revoke-sessions"]) {
        assert.match(help.stdout, new RegExp(command));
      }
      assert.equal(runCli(["user", "show"], env).code, 2);
      assert.equal(runCli(["user", "frobnicate", "x@y.z"], env).code, 2);
      for (const command of ["serve", "migrate", "import-seed", "audit", "user"]) {
        assert.equal(runCli([command, "--help"]).code, 0, `${command} --help`);
      }
    });
  });
}
