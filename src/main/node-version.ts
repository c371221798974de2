/**
 * The oldest Node.js major release the service runs on, as package.json's
 * `engines` says (test/node-version.test.ts keeps the two equal). Older
 * releases do not fail cleanly: Node 20 loads better-sqlite3 13 and dies with
 * a segmentation fault, so the CLI asks this before loading anything native.
 */
export const MINIMUM_NODE_MAJOR = 22;

/**
 * The one line to print when `version` (as `process.versions.node`, "20.19.2")
 * is too old to run the service; null when it will do.
 */
export function unsupportedNodeMessage(version: string): string | null {
  const major = Number.parseInt(version, 10);
  if (major >= MINIMUM_NODE_MAJOR) return null;
  return `auth-service: Node.js ${version} is not supported: it needs Node.js ${MINIMUM_NODE_MAJOR} or later (package.json engines: >=${MINIMUM_NODE_MAJOR})`;
}
