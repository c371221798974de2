import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { totpCode } from "../src/capabilities/second-factor/totp.js";
import { cliCommand } from "../src/main/commands/table.js";
import { userCommand } from "../src/main/commands/user.js";
import { createAuth } from "../src/main/create-auth.js";
import { runCliAsync, runCommandInProcess } from "./helpers/cli.js";
import { type TestDatabase, testDatabases } from "./helpers/databases.js";
import { SoftwareAuthenticator } from "./helpers/software-authenticator.js";

// Each command's behaviour runs in this process on every database (a spawn
// of `node --import tsx` costs seconds on a loaded machine); the last suite
// spawns the real `auth-service` once per command for argv, exit statuses
// and output, on SQLite: the process boundary does not depend on the database.

const factories = await testDatabases();

for (const factory of factories) {
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
    const user = (args: string[], input?: string) =>
      runCommandInProcess(userCommand, args, env, input);

    test("create (password from stdin), list, show, revoke-sessions, delete; audited", {
      timeout: 60_000,
    }, async () => {
      const created = await user(["create", "Ops@Example.com"], "s3cret-pass\n");
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /created user \d+ Ops@Example\.com/);
      assert.doesNotMatch(created.stdout + created.stderr, /s3cret-pass/);
      const refused = await user(["create", "weak@example.com"], "abc\n");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /at least 5 characters/);
      const taken = await user(["create", "ops@example.com"], "s3cret-pass\n");
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

      const list = await user(["list", "--json"]);
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
      const page = await user(["list", "--json", "--after", String(users[0].id)]);
      assert.equal(page.stdout.trim().split("\n").length, 1);

      const show = await user(["show", "OPS@example.com"]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /password\s+bcrypt/);
      assert.match(show.stdout, /sessions\s+2/);
      assert.match(show.stdout, /192\.0\.2\.1/);
      assert.doesNotMatch(show.stdout, /\$2b\$/);

      const revoked = await user(["revoke-sessions", "ops@example.com"]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /ended 2 session\(s\)/);
      assert.match((await user(["show", "ops@example.com"])).stdout, /sessions\s+0/);

      const unconfirmed = await user(["delete", "ops@example.com"]);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.stderr, /add --yes/);
      assert.equal((await user(["delete", "ops@example.com", "--yes"])).code, 0);
      const gone = await user(["show", "ops@example.com"]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no user with the email/);
      assert.equal((await user(["delete", "ops@example.com", "--yes"])).code, 1);

      const audit = await runCommandInProcess(
        cliCommand("audit"),
        ["--email", "ops@example.com"],
        env,
      );
      for (const event of ["register", "sessions_revoked", "user_deleted"]) {
        assert.match(
          audit.stdout,
          new RegExp(`${event}\\s+success .*agent="auth-service cli"`),
          event,
        );
      }
    });

    test("show tells whether a user has a second factor; reset-mfa turns it off, audited", {
      timeout: 60_000,
    }, async () => {
      const email = "locked-out@example.com";
      const service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      let secret = "";
      try {
        await service.auth.registerUser(email, "b4l0u");
        const token = await service.auth.createSession(email);
        const current = await service.auth.signedIn(token);
        assert.ok(current);
        ({ secret } = await service.auth.secondFactors.beginTotpSetup(current));
        const confirmed = await service.auth.secondFactors.confirmTotp(
          current,
          totpCode(secret, new Date()),
          "b4l0u",
          {},
        );
        assert.equal(confirmed.outcome, "done");
        // And a passkey: a second factor too, which the reset takes off as well.
        const options = await service.passkeys.creationOptions(current, {}, {});
        assert.equal(options.outcome, "done");
        const response = new SoftwareAuthenticator({ origin: "http://localhost:5000" }).register(
          options.outcome === "done" ? options.value : ({} as never),
        );
        await service.passkeys.register(current, response, "Phone", {});
      } finally {
        await service.close();
      }
      const show = await user(["show", email]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /2fa\s+totp on, 10 recovery code\(s\) left; 1 passkey\(s\)/);
      assert.ok(!show.stdout.includes(secret), "never the secret");
      const json = JSON.parse((await user(["show", email, "--json"])).stdout);
      assert.deepEqual(json.secondFactor, {
        on: true,
        totp: true,
        recoveryCodesLeft: 10,
        passkeys: 1,
      });
      assert.ok(!JSON.stringify(json).includes(secret));

      const reset = await user(["reset-mfa", email]);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stdout, /turned off two-factor authentication of locked-out@example\.com/);
      assert.match((await user(["show", email])).stdout, /2fa\s+off/);
      assert.deepEqual(JSON.parse((await user(["show", email, "--json"])).stdout).secondFactor, {
        on: false,
        totp: false,
        recoveryCodesLeft: 0,
        passkeys: 0,
      });
      const again = await user(["reset-mfa", email]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /has no second factor/);
      assert.equal((await user(["reset-mfa", "nobody@example.com"])).code, 1);

      const after = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      try {
        assert.ok(await after.auth.login(email, "b4l0u"), "the password alone logs in again");
      } finally {
        await after.close();
      }
      const audit = await runCommandInProcess(cliCommand("audit"), ["--email", email], env);
      assert.match(audit.stdout, /mfa_reset_by_operator\s+success .*agent="auth-service cli"/);
      assert.match(audit.stdout, /passkey_removed\s+success .*agent="auth-service cli"/);
    });

    test("reset-mfa takes off a passkey that is the account's only second factor", {
      timeout: 60_000,
    }, async () => {
      const email = "passkey-only@example.com";
      const service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      try {
        await service.auth.registerUser(email, "b4l0u");
        const current = await service.auth.signedIn(await service.auth.createSession(email));
        assert.ok(current);
        const authenticator = new SoftwareAuthenticator({ origin: "http://localhost:5000" });
        for (const name of ["Laptop", "Phone"]) {
          const options = await service.passkeys.creationOptions(current, {}, {});
          assert.equal(options.outcome, "done");
          if (options.outcome !== "done") return;
          await service.passkeys.register(current, authenticator.register(options.value), name, {});
        }
        await assert.rejects(service.auth.login(email, "b4l0u"), /second factor/);
      } finally {
        await service.close();
      }
      assert.match((await user(["show", email])).stdout, /2fa\s+2 passkey\(s\)/);
      const reset = await user(["reset-mfa", email]);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match((await user(["show", email])).stdout, /2fa\s+off/);
      assert.equal((await user(["reset-mfa", email])).code, 1, "nothing left to reset");

      const after = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      try {
        assert.ok(await after.auth.login(email, "b4l0u"), "the password alone logs in again");
        assert.equal(
          await after.passkeys.count((await after.store.findUser({ email }))?.id ?? 0),
          0,
        );
      } finally {
        await after.close();
      }
      const audit = await runCommandInProcess(cliCommand("audit"), ["--email", email], env);
      const removed = audit.stdout.match(/passkey_removed\s+success .*agent="auth-service cli"/g);
      assert.equal(removed?.length, 2, "one row per passkey");
      assert.doesNotMatch(audit.stdout, /mfa_reset_by_operator/, "there was no TOTP to reset");
    });

    test("show tells whether the address is verified; verify marks it, audited", {
      timeout: 60_000,
    }, async () => {
      const email = "unverified@example.com";
      const service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      try {
        await service.auth.registerUser(email, "b4l0u");
      } finally {
        await service.close();
      }
      assert.match((await user(["show", email])).stdout, /verified\s+no/);
      const marked = await user(["verify", email]);
      assert.equal(marked.code, 0, marked.stderr);
      assert.match(marked.stdout, /marked the address of unverified@example\.com verified/);
      assert.match((await user(["show", email])).stdout, /verified\s+\d{4}-\d\d-\d\dT/);
      assert.equal((await user(["verify", "nobody@example.com"])).code, 1);
      const audit = await runCommandInProcess(cliCommand("audit"), ["--email", email], env);
      assert.match(audit.stdout, /email_verified\s+success .*agent="auth-service cli"/);
    });

    test("--help for user and each subcommand's arguments", { timeout: 30_000 }, async () => {
      const help = await user(["--help"]);
      assert.equal(help.code, 0);
      for (const command of [
        "list",
        "show",
        "create",
        "delete",
        "revoke-sessions",
        "reset-mfa",
        "verify",
      ]) {
        assert.match(help.stdout, new RegExp(command));
      }
      assert.equal((await user(["show"])).code, 2);
      assert.equal((await user(["frobnicate", "x@y.z"])).code, 2);
      assert.equal((await user(["list", "someone@example.com"])).code, 2);
    });
  });
}

const sqlite = factories.find((factory) => factory.name === "sqlite");

describe("auth-service user as a process: argv, exit statuses, output", () => {
  let database: TestDatabase | undefined;
  let env: Record<string, string> = {};
  before(async () => {
    assert.ok(sqlite && "create" in sqlite);
    database = await sqlite.create();
    env = { DATABASE_URL: database.url, BCRYPT_COST: "4" };
  });
  after(async () => database?.drop());

  test("one run of each command", { timeout: 90_000 }, async () => {
    // Independent runs go together: two at a time keeps a 2-core machine busy, not swamped.
    const [created, refused] = await Promise.all([
      runCliAsync(["user", "create", "Ops@Example.com"], env, "s3cret-pass\n"),
      runCliAsync(["user", "create", "weak@example.com"], env, "abc\n"),
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created user \d+ Ops@Example\.com\n$/);
    assert.doesNotMatch(created.stdout + created.stderr, /s3cret-pass/);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /at least 5 characters/);

    const [list, show] = await Promise.all([
      runCliAsync(["user", "list", "--json"], env),
      runCliAsync(["user", "show", "OPS@example.com"], env),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      list.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).email),
      ["Ops@Example.com"],
    );
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^id {10}\d+\nemail {7}Ops@Example\.com\n/);

    const [revoked, unconfirmed] = await Promise.all([
      runCliAsync(["user", "revoke-sessions", "ops@example.com"], env),
      runCliAsync(["user", "delete", "ops@example.com"], env),
    ]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, "ended 0 session(s) of ops@example.com\n");
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /add --yes/);

    const [deleted, unknownOption] = await Promise.all([
      runCliAsync(["user", "delete", "ops@example.com", "--yes"], env),
      runCliAsync(["user", "list", "--frobnicate"], env),
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, "deleted ops@example.com\n");
    assert.equal(unknownOption.code, 1);
    assert.match(unknownOption.stderr, /auth-service: Unknown option '--frobnicate'/);
  });

  test("--help of user and the other commands", {
    timeout: 90_000,
  }, async () => {
    // serve --help is cli.test.ts's; usage errors' status 2 is `user delete` above.
    const commands = ["user", "migrate", "import-seed", "audit"];
    for (let i = 0; i < commands.length; i += 2) {
      const pair = commands.slice(i, i + 2);
      const results = await Promise.all(pair.map((command) => runCliAsync([command, "--help"])));
      pair.forEach((command, k) => {
        const result = results[k];
        assert.equal(result?.code, 0, `${command} --help: ${result?.stderr}`);
        assert.match(result?.stdout ?? "", new RegExp(`^Usage: auth-service ${command}`));
      });
    }
  });
});
