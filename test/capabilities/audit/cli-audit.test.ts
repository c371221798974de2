import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSince } from "../../../src/capabilities/audit/command.js";
import { createAuth } from "../../../src/main/create-auth.js";
import { runCli } from "../../helpers/cli.js";
import { tempDir } from "../../helpers/server.js";

test("production refuses to start without its mail settings, naming each, exit 1", () => {
  const result = runCli(["serve"], { AUTH_MODE: "production", PORT: "0" });
  assert.equal(result.code, 1);
  for (const name of ["SMTP_URL", "MAIL_FROM", "PUBLIC_URL", "SECRET_KEY"]) {
    assert.match(result.stderr, new RegExp(`${name} is required in production`), name);
  }
  assert.doesNotMatch(result.stdout + result.stderr, /listening/);
});

test("auth-service audit prints the trail, filtered by email and time", async () => {
  const { dir, remove } = tempDir();
  const databaseUrl = `sqlite:${join(dir, "audit.db")}`;
  try {
    const service = await createAuth({ databaseUrl, bcryptCost: 4 });
    const client = { ip: "203.0.113.7", userAgent: "cli-test" };
    await service.auth.registerUser("Ada@example.com", "b4l0u", client);
    assert.equal(await service.auth.login("ada@example.com", "nope!", client), null);
    assert.ok(await service.auth.login("ada@example.com", "b4l0u", client));
    await service.auth.registerUser("bob@example.com", "b4l0u");
    await service.close(); // writes the pending audit rows

    const env = { DATABASE_URL: databaseUrl };
    const all = runCli(["audit"], env);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split("\n").length, 4);

    const ada = runCli(["audit", "--email", "ADA@example.com"], env);
    const lines = ada.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? "",
      /register\s+success\s+user=1\s+email=ada@example\.com\s+ip=203\.0\.113\.7/,
    );
    assert.match(lines[1] ?? "", /login\s+failure\s+user=-/);
    assert.match(lines[2] ?? "", /login\s+success\s+user=1 .*agent="cli-test"/);

    const json = runCli(["audit", "--email", "bob@example.com", "--json", "--since", "1h"], env);
    const [entry] = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(entry.event, "register");
    assert.equal(entry.email, "bob@example.com");

    assert.equal(runCli(["audit", "--since", "2999-01-01"], env).stdout, "");
    assert.equal(runCli(["audit", "--limit", "1"], env).stdout.trim().split("\n").length, 1);
    const bad = runCli(["audit", "--since", "last tuesday"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since takes a date or a duration/);
    assert.equal(runCli(["audit", "--help"]).code, 0);
  } finally {
    remove();
  }
});

test("--since reads dates and durations back from now", () => {
  const now = new Date("2026-11-24T12:00:00Z");
  assert.equal(parseSince("24h", now)?.toISOString(), "2026-11-23T12:00:00.000Z");
  assert.equal(parseSince("2026-11-01", now)?.toISOString(), "2026-11-01T00:00:00.000Z");
  assert.equal(parseSince("2026-11-01T09:30Z", now)?.toISOString(), "2026-11-01T09:30:00.000Z");
  assert.equal(parseSince("yesterday", now), null);
  assert.equal(parseSince("2026-13-45", now), null);
});
