#!/usr/bin/env node
// The registry these machines reach serves @node-rs/bcrypt 2.0.0's native
// package for linux-x64-gnu but not the other platforms' packages that it
// lists as optional dependencies. `npm install` then leaves them out of
// package-lock.json, and `npm ci` refuses the lock as "out of sync". This
// script records each missing platform package with its os/cpu/libc, so npm ci
// sees it and skips it on any machine it does not fit (as npm does for every
// platform package). Run it after `npm install` changes the lock file.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = "package-lock.json";
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const packages = lock.packages;

/** os, cpu and libc of a napi-rs platform package, read from its name's suffix. */
function platformOf(name) {
  const table = {
    "android-arm-eabi": { os: ["android"], cpu: ["arm"] },
    "android-arm64": { os: ["android"], cpu: ["arm64"] },
    "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
    "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
    "freebsd-x64": { os: ["freebsd"], cpu: ["x64"] },
    "linux-arm-gnueabihf": { os: ["linux"], cpu: ["arm"] },
    "linux-arm64-gnu": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
    "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
    "linux-x64-gnu": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
    "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
    "win32-arm64-msvc": { os: ["win32"], cpu: ["arm64"] },
    "win32-ia32-msvc": { os: ["win32"], cpu: ["ia32"] },
    "win32-x64-msvc": { os: ["win32"], cpu: ["x64"] },
  };
  for (const [key, platform] of Object.entries(table)) {
    if (name.endsWith(`-${key}`)) return platform;
  }
  return null;
}

const LIBC = process.report.getReport().header.glibcVersionRuntime ? "glibc" : "musl";

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] || packages[`${path}/node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform) {
      console.error(`not a known platform package, left alone: ${name}`);
      continue;
    }
    const running =
      process.platform === platform.os[0] &&
      process.arch === platform.cpu[0] &&
      (!platform.libc || platform.libc[0] === LIBC);
    if (running) {
      console.error(`${name} fits this machine but is missing: run npm install`);
      process.exitCode = 1;
      continue;
    }
    // Keys in the order npm writes them, so a later npm install leaves the entry as it is.
    packages[key] = {
      version,
      cpu: platform.cpu,
      ...(platform.libc && { libc: platform.libc }),
      optional: true,
      os: platform.os,
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`recorded ${added} missing optional platform package(s) in ${LOCK}`);
