import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The project's documents, as paths from the root with forward slashes:
 * README.md first, then every docs/**\/*.md in path order.
 */
export function documentPaths(): string[] {
  const docs = readdirSync(join(ROOT, "docs"), { recursive: true, encoding: "utf8" })
    .map((path) => path.split("\\").join("/"))
    .filter((path) => path.endsWith(".md"))
    .map((path) => `docs/${path}`)
    .sort();
  return ["README.md", ...docs];
}

export interface Document {
  /** From the root, e.g. "docs/guides/webhooks.md". */
  path: string;
  text: string;
}

export function readDocuments(): Document[] {
  return documentPaths().map((path) => ({ path, text: readFileSync(join(ROOT, path), "utf8") }));
}

/** A document's text with its fenced code blocks blanked out (lines kept, so line numbers hold). */
export function withoutCodeBlocks(text: string): string {
  let fenced = false;
  return text
    .split("\n")
    .map((line) => {
      if (line.startsWith("```")) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : line;
    })
    .join("\n");
}

export interface Table {
  path: string;
  /** Line of the header row, from 1. */
  line: number;
  header: string[];
  rows: string[][];
}

/** The cells of a table row, trimmed: "| a | `b` |" -> ["a", "`b`"]. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** Every Markdown table of a document (outside code blocks). */
export function tablesOf(document: Document): Table[] {
  const lines = withoutCodeBlocks(document.text).split("\n");
  const tables: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i] ?? "";
    const rule = lines[i + 1] ?? "";
    if (!header.trim().startsWith("|") || !/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(rule)) continue;
    const table: Table = { path: document.path, line: i + 1, header: cells(header), rows: [] };
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? "").trim().startsWith("|"); j++) {
      table.rows.push(cells(lines[j] ?? ""));
    }
    tables.push(table);
    i = j - 1;
  }
  return tables;
}

/** The tables, over every document, whose header row is exactly `header`. */
export function tablesWithHeader(documents: Document[], header: string[]): Table[] {
  return documents.flatMap(tablesOf).filter((table) => table.header.join("|") === header.join("|"));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text
    .replace(/<[^>]+>/g, "") // inline HTML
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a document offers: its headings' slugs (repeats numbered as GitHub does) and `<a id>`s. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(text).split("\n")) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1] ?? "");
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? "");
  }
  return anchors;
}

export interface Link {
  path: string;
  line: number;
  target: string;
}

/** Every inline link and image of a document, outside code blocks and code spans. */
export function linksOf(document: Document): Link[] {
  // Code spans may wrap; blank them but keep their line breaks, so line numbers hold.
  const prose = withoutCodeBlocks(document.text).replace(/`[^`]*`/g, (span) =>
    span.replace(/[^\n]/g, " "),
  );
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (match) => ({
      path: document.path,
      line: prose.slice(0, match.index).split("\n").length,
      target: match[1] ?? "",
    }),
  );
}
