#!/usr/bin/env node
// The CLI's entry: it checks the Node.js release before anything else loads.
// Its only static import is a dependency-free check; the commands, and the
// native addons behind them (better-sqlite3 crashes an older Node with a
// segmentation fault, not a message), load afterwards, by a dynamic import.
import { unsupportedNodeMessage } from "./main/node-version.js";

const unsupported = unsupportedNodeMessage(process.versions.node);
if (unsupported === null) {
  await import("./main/cli-main.js");
} else {
  console.error(unsupported);
  process.exitCode = 1;
}
