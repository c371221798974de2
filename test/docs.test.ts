import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import { WEBHOOK_EVENT_TYPES } from "../src/capabilities/webhooks/events.js";
import { defaultAuthSettings } from "../src/core/settings.js";
import { buildApp } from "../src/main/app.js";
import { ConfigError, loadConfig } from "../src/main/config.js";
import { createAuth } from "../src/main/create-auth.js";
import {
  anchorsOf,
  linksOf,
  ROOT,
  readDocuments,
  type Table,
  tablesWithHeader,
  withoutCodeBlocks,
} from "./helpers/docs.js";

// The documents (README.md and docs/**/*.md) against the code: the tables
// that name variables, events and routes list exactly what the code has,
// wherever in the documents they live; every relative link leads somewhere;
// the README stays a short front page.

// config.ts names the variables; env-reader.ts reads a few itself (AUTH_MODE, NODE_ENV).
const config = ["../src/main/config.ts", "../src/main/env-reader.ts"]
  .map((path) => readFileSync(new URL(path, import.meta.url), "utf8"))
  .join("\n");
const envExample = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
const documents = readDocuments();
const prose = documents.map((document) => withoutCodeBlocks(document.text)).join("\n");

/** The one table, over all documents, with this header row. */
function theTable(header: string[]): Table {
  const found = tablesWithHeader(documents, header);
  assert.equal(
    found.length,
    1,
    `tables headed | ${header.join(" | ")} |: ${found.map((t) => `${t.path}:${t.line}`).join(", ") || "none"}`,
  );
  return found[0] as Table;
}

/** The first cells, in backquotes, of a table's rows: "| `NAME` | ..." */
function tableKeys(table: Table, pattern: string): string[] {
  return table.rows.flatMap((row) => {
    const match = new RegExp(`^\`(${pattern})\``).exec(row[0] ?? "");
    return match ? [match[1] ?? ""] : [];
  });
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

test(".env.example and the configuration table list every variable config reads, and no other", () => {
  const documented = new Set(
    [...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1] ?? ""),
  );
  const table = theTable(["Variable", "Default", "Meaning"]);
  assert.equal(table.path, "docs/CONFIGURATION.md", "where the README's links expect it");
  const tabled = new Set(tableKeys(table, "[A-Z0-9_]+"));
  assert.equal(tabled.size, table.rows.length, "every row names one variable, once");
  for (const name of variables) {
    if (name === "NODE_ENV") continue; // an alias documented beside AUTH_MODE
    assert.ok(documented.has(name), `.env.example lacks ${name}`);
    assert.ok(tabled.has(name), `the configuration table lacks ${name}`);
  }
  for (const name of documented)
    assert.ok(variables.has(name), `.env.example documents unknown ${name}`);
  for (const name of tabled)
    assert.ok(variables.has(name), `the configuration table documents unknown ${name}`);
});

test("the webhook events table lists every event the service sends, and no other", () => {
  const source = readFileSync(
    new URL("../src/capabilities/webhooks/events.ts", import.meta.url),
    "utf8",
  );
  // The types a domain event can become (webhookTypeOf's answers).
  const body = source.slice(source.indexOf("function webhookTypeOf"));
  const sent = new Set([...body.matchAll(/"([a-z]+(?:\.[a-z]+)+)"/g)].map((match) => match[1]));
  assert.deepEqual([...sent].sort(), [...WEBHOOK_EVENT_TYPES].sort(), "what can be subscribed to");
  const table = theTable(["Event", "When"]);
  const tabled = tableKeys(table, "[a-z]+(?:\\.[a-z]+)+");
  assert.equal(tabled.length, table.rows.length, "every row names one event");
  assert.deepEqual([...tabled].sort(), [...WEBHOOK_EVENT_TYPES].sort());
});

test("the route tables list every operation of the OpenAPI document, and no other", async () => {
  const service = await createAuth({ databaseUrl: "sqlite::memory:" });
  let paths: Record<string, Record<string, unknown>>;
  try {
    const admin = { apiKeys: service.apiKeys, users: service.users, audit: service.audit };
    const oidc = { ...service.oidc, issuer: () => "http://localhost:5000", secure: false };
    const app = await buildApp({ auth: service.auth, config: {}, admin, oidc });
    try {
      const answer = await app.inject({ method: "GET", url: "/openapi.json" });
      assert.equal(answer.statusCode, 200);
      paths = (answer.json() as { paths: typeof paths }).paths;
    } finally {
      await app.close();
    }
  } finally {
    await service.close();
  }
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  assert.ok(operations.length >= 20, operations.join(", "));

  // "| `DELETE /sessions/<id>` |", "| `GET /admin/users?limit=N...` |", "| `POST /admin/users` `{email, password}` |"
  const rows = [
    ...theTable(["Route", "Input", "Success", "Failure"]).rows,
    ...theTable(["Route", "Scope", "Success", "Failure"]).rows,
  ];
  const tabled = rows.map((row) => {
    const match = /^`([A-Z]+) ([^`?\s]+)/.exec(row[0] ?? "");
    assert.ok(match, `a route table row without "METHOD /path": ${row[0]}`);
    return `${match[1]} ${(match[2] ?? "").replace(/<(\w+)>/g, "{$1}")}`;
  });
  assert.equal(new Set(tabled).size, tabled.length, `a route twice: ${tabled.join(", ")}`);
  // Served, and left out of the OpenAPI document on purpose.
  const outsideOpenApi = ["GET /openapi.json", "GET /metrics"];
  assert.deepEqual(
    [...tabled].sort(),
    [...operations, ...outsideOpenApi].sort(),
    "documented routes vs the app's",
  );
});

test("the documents name every setting production refuses to start without, and no other", () => {
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
  // "refuses to start ... without `A`, `B` and `C`", wherever a document says it.
  const lists = [
    ...prose.matchAll(/refuses to start[^.;]*?without\s+((?:`[A-Z_]+`(?:,\s+|\s+and\s+)?)+)/g),
  ];
  assert.ok(lists.length >= 2, "the modes and the Docker image say it");
  for (const [, list] of lists) {
    const named = [...(list ?? "").matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]);
    assert.deepEqual(named.sort(), [...required].sort(), list);
  }
});

test("the documents give production's reset limits as the code sets them", () => {
  const { resetMaxPerEmail, resetMaxPerEmailAndIp, resetMaxPerIp, resetRequestWindow } =
    defaultAuthSettings("production");
  assert.equal(resetRequestWindow, 60 * 60_000, "the documents say per hour");
  const said = [
    ...prose
      .replace(/\s+/g, " ")
      .matchAll(/per hour: (\d+) per email, (\d+) of them from one address, (\d+) per address/g),
  ];
  assert.ok(said.length >= 1, "the modes guide gives the limits");
  for (const [, email, emailAndIp, ip] of said) {
    assert.deepEqual(
      [Number(email), Number(emailAndIp), Number(ip)],
      [resetMaxPerEmail, resetMaxPerEmailAndIp, resetMaxPerIp],
    );
  }
});

test("the README stays a short front page", () => {
  const readme = documents.find((document) => document.path === "README.md");
  const lines = readme?.text.split("\n").length ?? 0;
  assert.ok(
    lines > 0 && lines < 300,
    `README.md has ${lines} lines: reference and guides belong under docs/`,
  );
});

test("every relative link in the documents leads to a file, and to a heading in it", () => {
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    let found = anchors.get(path);
    if (!found) {
      found = anchorsOf(readFileSync(join(ROOT, path), "utf8"));
      anchors.set(path, found);
    }
    return found;
  };
  const broken: string[] = [];
  let checked = 0;
  for (const document of documents) {
    for (const link of linksOf(document)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:
      checked++;
      const [file = "", anchor] = link.target.split("#", 2);
      const target =
        file === "" ? document.path : normalize(join(dirname(document.path), decodeURI(file)));
      const where = `${link.path}:${link.line} -> ${link.target}`;
      if (relative(ROOT, join(ROOT, target)).startsWith("..") || !existsSync(join(ROOT, target))) {
        broken.push(`${where}: no such file`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!target.endsWith(".md") || statSync(join(ROOT, target)).isDirectory()) {
        broken.push(`${where}: an anchor into something other than a Markdown file`);
        continue;
      }
      if (!anchorsIn(target).has(decodeURIComponent(anchor)))
        broken.push(`${where}: no heading or <a id> "${anchor}" in ${target}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 30, `only ${checked} relative links found: is the link parser blind?`);
});
