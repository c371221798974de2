import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type MessageFormatElement, parse, TYPE } from "@formatjs/icu-messageformat-parser";
import { IntlMessageFormat } from "intl-messageformat";
import { defineCatalogue } from "../../src/platform/i18n/catalogue.js";
import { LANGUAGES } from "../../src/platform/i18n/languages.js";

// The message catalogues: src/**/locales/<language>.json, one set per
// capability (and the core's). Each language has exactly English's keys;
// every message parses as ICU MessageFormat, names the same arguments in
// every language and formats; every key is used by the code beside it.

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../../src");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const FILES = walk(SRC);
const CATALOGUES = FILES.filter((path) => path.endsWith("/locales/en.json")).map((path) =>
  dirname(dirname(path)),
);

function read(folder: string, language: string): Record<string, string> {
  return JSON.parse(readFileSync(join(folder, "locales", `${language}.json`), "utf8"));
}

/** The argument names a message uses, with their kind (plural, select, date ...). */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
    if ("value" in element && typeof element.value === "string")
      into.add(`${element.value}:${element.type}`);
    if ("options" in element)
      for (const option of Object.values(element.options)) argumentsOf(option.value, into);
  }
  return into;
}

/** A value for each argument of a message, of the kind it takes. */
function sampleValues(elements: MessageFormatElement[]): Record<string, string | number | Date> {
  const values: Record<string, string | number | Date> = {};
  for (const name of argumentsOf(elements)) {
    const [argument = "", type] = name.split(":");
    values[argument] =
      Number(type) === TYPE.plural || Number(type) === TYPE.number
        ? 3
        : Number(type) === TYPE.date || Number(type) === TYPE.time
          ? new Date(0)
          : "sample";
  }
  return values;
}

test("a language without one of English's keys does not compile", () => {
  const whole = { greeting: "Hallo", farewell: "Tschüss" };
  const english = { greeting: "Hello", farewell: "Bye" };
  const german = { greeting: "Hallo" };
  // @ts-expect-error: German lacks "farewell"
  defineCatalogue("example", english, { de: german, fr: whole, es: whole });
  const words = defineCatalogue(
    "example",
    { greeting: "Hello {name}" },
    {
      de: { greeting: "Hallo {name}" },
      fr: { greeting: "Bonjour {name}" },
      es: { greeting: "Hola {name}" },
    },
  );
  assert.equal(words.format("fr", "greeting", { name: "Ada" }), "Bonjour Ada");
});

test("catalogues are where the code is: the core's and some capabilities'", () => {
  const names = CATALOGUES.map((folder) => relative(SRC, folder)).sort();
  for (const expected of ["core/pages", "capabilities/second-factor"])
    assert.ok(names.includes(expected), `${expected} in ${names.join(", ")}`);
});

for (const folder of CATALOGUES) {
  const name = relative(SRC, folder);
  const english = read(folder, "en");

  test(`${name}: every language has exactly English's keys`, () => {
    for (const language of LANGUAGES) {
      const keys = Object.keys(read(folder, language));
      const missing = Object.keys(english).filter((key) => !keys.includes(key));
      const extra = keys.filter((key) => !(key in english));
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${name}/${language}`);
    }
  });

  test(`${name}: every message parses, has English's arguments, and formats`, () => {
    for (const language of LANGUAGES) {
      const messages = read(folder, language);
      for (const [key, message] of Object.entries(messages)) {
        const where = `${name}/${language}.json ${key}`;
        assert.ok(message.trim() !== "", `${where} is empty`);
        const parsed = parse(message, { ignoreTag: true });
        const expected = [...argumentsOf(parse(english[key] ?? "", { ignoreTag: true }))].sort();
        assert.deepEqual([...argumentsOf(parsed)].sort(), expected, `${where}: arguments`);
        const formatted = new IntlMessageFormat(message, language, undefined, {
          ignoreTag: true,
        }).format(sampleValues(parsed));
        assert.equal(typeof formatted, "string", where);
      }
    }
  });

  test(`${name}: every key is used by its code`, () => {
    // The core's keys by any code (capabilities use its words too); a capability's by its own folder.
    const root = name.startsWith("core/") ? SRC : folder;
    const code = FILES.filter((path) => path.startsWith(root) && path.endsWith(".ts"))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    const unused = Object.keys(english).filter((key) => !code.includes(`"${key}"`));
    assert.deepEqual(unused, [], `${name}: keys no code uses`);
  });

  test(`${name}: the translations are translations (most messages differ from English)`, () => {
    for (const language of LANGUAGES.filter((language) => language !== "en")) {
      const messages = read(folder, language);
      const same = Object.keys(english).filter(
        (key) => messages[key] === english[key] && /[a-z]{4,}/.test(english[key] ?? ""),
      );
      assert.ok(
        same.length <= Object.keys(english).length / 5,
        `${name}/${language}: ${same.length} messages are English still: ${same.join(", ")}`,
      );
    }
  });
}
