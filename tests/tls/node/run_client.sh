#!/usr/bin/env bash
# Runs tls_client.mjs (the nats.js client over TLS) with node, using the `nats` package that
# tests/interop/node pins, installed there on first use under the same lock as its run.sh.
# Arguments and environment go to the script. Exit 77 (skip) where node or npm is missing,
# outside CI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
interop="$here/../../interop/node"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ "${CI:-}" == true ]]; then
    echo "node and npm are needed for the nats.js TLS test" >&2
    exit 1
  fi
  echo "SKIP: node and npm are needed for the nats.js TLS test" >&2
  exit 77
fi

(
  cd "$interop"
  exec 9<package.json
  flock 9
  if [[ ! -f node_modules/nats/package.json ]]; then
    npm ci --no-audit --no-fund >&2
  fi
)

exec node "$here/tls_client.mjs" "$@"
