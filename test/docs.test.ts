import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

// config.ts names the variables; env-reader.ts reads a few itself (AUTH_MODE, NODE_ENV).
const config = ["../src/config.ts", "../src/env-reader.ts"]
  .map((path) => readFileSync(new URL(path, import.meta.url), "utf8"))
  .join("\n");
const envExample = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** Every variable src/config.ts and src/env-reader.ts read: read.<kind>("NAME", ...), this.<kind>("NAME") and env.NAME. */
const variables = new Set([
  ...[...config.matchAll(/(?:read|this)\.#?\w+(?:<[^>]*>)?\(\s*"([A-Z0-9_]+)"/g)].map(
    (match) => match[1],
  ),
  ...[...config.matchAll(/env\.([A-Z0-9_]+)/g)].map((match) => match[1]),
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
  const documented = new Set([...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1]));
  const tabled = new Set(
    [...readme.matchAll(/^\| `([A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]),
  );
  for (const name of variables) {
    if (name === "NODE_ENV") continue; // an alias documented beside AUTH_MODE
    assert.ok(documented.has(name), `.env.example lacks ${name}`);
    assert.ok(tabled.has(name), `README table lacks ${name}`);
  }
  for (const name of documented)
    assert.ok(variables.has(name), `.env.example documents unknown ${name}`);
  for (const name of tabled) assert.ok(variables.has(name), `README documents unknown ${name}`);
});
