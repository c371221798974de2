import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "./helpers/cli.js";
import { request } from "./helpers/http.js";
import { startTestServer, tempDir } from "./helpers/server.js";

/** Accounts the looser syntax of earlier releases let in: a look-alike, a bidi flip, a C1 CSI. */
const LEGACY = ["vic\u200btim@corp.test", "\u202eadmin@corp.test", "ops\u009b2J@corp.test"];

/** A control other than the line ends the CLI writes itself, or a format character. */
const RAW = /[^\P{Cc}\n]|\p{Cf}/u;

test("the CLI prints stored emails and user agents escaped, never raw", async () => {
  const { dir, remove } = tempDir();
  const databaseUrl = `sqlite:${join(dir, "auth.db")}`;
  try {
    const server = await startTestServer({ DATABASE_URL: databaseUrl });
    try {
      const hash = await server.service.auth.hasher.hash("b4l0u");
      for (const email of LEGACY) await server.service.store.insertUser(email, hash, new Date());
      // A user agent is whatever the client sends; U+009B is ESC [ to a terminal.
      const login = await request(server.url, "POST", "/sessions", {
        form: { email: LEGACY[2] ?? "", password: "b4l0u" },
        headers: { "user-agent": "agent\u009b2J\u0085\u009d0;pwned\u009c" },
      });
      assert.equal(login.status, 200, "an account from before the rule still logs in");
    } finally {
      await server.close(); // writes the pending audit rows
    }

    const env = { DATABASE_URL: databaseUrl, BCRYPT_COST: "4" };
    const runs = {
      list: runCli(["user", "list"], env),
      listJson: runCli(["user", "list", "--json"], env),
      show: runCli(["user", "show", LEGACY[2] ?? ""], env),
      showJson: runCli(["user", "show", LEGACY[2] ?? "", "--json"], env),
      audit: runCli(["audit"], env),
      auditJson: runCli(["audit", "--json"], env),
      missing: runCli(["user", "show", "\u202egone@corp.test"], env),
      revoke: runCli(["user", "revoke-sessions", LEGACY[0] ?? ""], env),
    };
    for (const [name, run] of Object.entries(runs)) {
      assert.ok(run.code === 0 || name === "missing", `${name}: ${run.stderr}`);
      assert.doesNotMatch(run.stdout + run.stderr, RAW, name);
    }
    assert.match(runs.list.stdout, /vic\\u\{200b\}tim@corp\.test/);
    assert.match(runs.show.stdout, /email\s+ops\\u\{9b\}2J@corp\.test/);
    assert.match(runs.show.stdout, /agent\\u\{9b\}2J\\u\{85\}/);
    // The trail keeps the normalized (lower-case) email.
    assert.match(runs.audit.stdout, /email=ops\\u\{9b\}2j@corp\.test/);
    assert.match(runs.missing.stderr, /no user with the email \\u\{202e\}gone@corp\.test/);
    assert.match(runs.revoke.stdout, /of vic\\u\{200b\}tim@corp\.test/);
    // JSON stays exact: the escapes parse back to the stored strings.
    const emails = runs.listJson.stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { email: string }).email);
    assert.deepEqual(emails, LEGACY);
    const shown = JSON.parse(runs.showJson.stdout) as { sessions: Array<{ userAgent: string }> };
    assert.equal(shown.sessions[0]?.userAgent, "agent\u009b2J\u0085\u009d0;pwned\u009c");
  } finally {
    remove();
  }
});
