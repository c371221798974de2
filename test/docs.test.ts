import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { WEBHOOK_EVENT_TYPES } from "../src/capabilities/webhooks/events.js";
import { defaultAuthSettings } from "../src/core/settings.js";
import { ConfigError, loadConfig } from "../src/main/config.js";

// config.ts names the variables; env-reader.ts reads a few itself (AUTH_MODE, NODE_ENV).
const config = ["../src/main/config.ts", "../src/main/env-reader.ts"]
  .map((path) => readFileSync(new URL(path, import.meta.url), "utf8"))
  .join("\n");
const envExample = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The README's text under a "## " heading, up to the next one. */
function readmeSection(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.notEqual(start, -1, `README has no "## ${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The first cells, in backquotes, of a section's table rows: "| `NAME` | ..." */
function tableKeys(section: string, pattern: string): string[] {
  return [...section.matchAll(new RegExp(`^\\| \`(${pattern})\`\\s*\\|`, "gm"))].map(
    (match) => match[1] ?? "",
  );
}

/** Every variable src/main/config.ts and src/main/env-reader.ts read: read.<kind>("NAME", ...), this.<kind>("NAME") and env.NAME. */
const variables = new Set<string>([
  ...[...config.matchAll(/(?:read|this)\.#?\w+(?:<[^>]*>)?\(\s*"([A-Z0-9_]+)"/g)].map(
    (match) => match[1] ?? "",
  ),
  ...[...config.matchAll(/env\.([A-Z0-9_]+)/g)].map((match) => match[1] ?? ""),
]);

test("config reads a plausible set of variables", () => {
  for (const name of [
    "PORT",
    "HOST",
    "DATABASE_URL",
    "AUTH_MODE",
    "BCRYPT_COST",
    "REDIS_URL",
    "WORKERS",
  ]) {
    assert.ok(variables.has(name), name);
  }
});

test(".env.example and the README's table list every variable config reads, and no other", () => {
  const documented = new Set(
    [...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1] ?? ""),
  );
  const tabled = new Set(tableKeys(readmeSection("Configuration"), "[A-Z0-9_]+"));
  for (const name of variables) {
    if (name === "NODE_ENV") continue; // an alias documented beside AUTH_MODE
    assert.ok(documented.has(name), `.env.example lacks ${name}`);
    assert.ok(tabled.has(name), `README table lacks ${name}`);
  }
  for (const name of documented)
    assert.ok(variables.has(name), `.env.example documents unknown ${name}`);
  for (const name of tabled) assert.ok(variables.has(name), `README documents unknown ${name}`);
});

test("README's webhook events table lists every event the service sends, and no other", () => {
  const source = readFileSync(
    new URL("../src/capabilities/webhooks/events.ts", import.meta.url),
    "utf8",
  );
  // The types a domain event can become (webhookTypeOf's answers).
  const body = source.slice(source.indexOf("function webhookTypeOf"));
  const sent = new Set([...body.matchAll(/"([a-z]+\.[a-z]+)"/g)].map((match) => match[1]));
  assert.deepEqual([...sent].sort(), [...WEBHOOK_EVENT_TYPES].sort(), "what can be subscribed to");
  const tabled = tableKeys(readmeSection("Webhooks"), "[a-z]+\\.[a-z]+");
  assert.deepEqual([...tabled].sort(), [...WEBHOOK_EVENT_TYPES].sort());
});

test("README names every setting production refuses to start without, and no other", () => {
  let required: string[] = [];
  try {
    loadConfig({ AUTH_MODE: "production" });
    assert.fail("production started with nothing configured");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    required = error.problems.map(
      (problem) => /^([A-Z_]+) is required in production/.exec(problem)?.[1] ?? "",
    );
  }
  assert.ok(required.length >= 4 && !required.includes(""), required.join(", "));
  // "refuses to start ... without `A`, `B` and `C`", wherever the README says it.
  const lists = [
    ...readme.matchAll(/refuses to start[^.;]*?without\s+((?:`[A-Z_]+`(?:,\s+|\s+and\s+)?)+)/g),
  ];
  assert.ok(lists.length >= 2, "Modes and Docker say it");
  for (const [, list] of lists) {
    const named = [...(list ?? "").matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]);
    assert.deepEqual(named.sort(), [...required].sort(), list);
  }
});

test("README's Modes give production's reset limits as the code sets them", () => {
  const { resetMaxPerEmail, resetMaxPerEmailAndIp, resetMaxPerIp, resetRequestWindow } =
    defaultAuthSettings("production");
  assert.equal(resetRequestWindow, 60 * 60_000, "the README says per hour");
  assert.match(
    readmeSection("Modes").replace(/\s+/g, " "),
    new RegExp(
      `per hour: ${resetMaxPerEmail} per email, ${resetMaxPerEmailAndIp} of them from one address, ${resetMaxPerIp} per address`,
    ),
  );
});
