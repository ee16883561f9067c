#!/usr/bin/env bash
# Runs the nats.js interop tests against the server named by RINGNATS_SERVER
# (+ RINGNATS_SERVER_ARGS). Exit 77 tells meson the test was skipped (outside CI).
set -euo pipefail

script="${BASH_SOURCE[0]}"
[[ "${script}" == */* ]] && cd "${script%/*}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  # In CI a missing tool is a failure: a skip would hide that these tests never ran.
  if [[ "${CI:-}" == true ]]; then
    echo "node and npm are needed for the nats.js interop tests" >&2
    exit 1
  fi
  echo "SKIP: node and npm are needed for the nats.js interop tests" >&2
  exit 77
fi

# node_modules is shared by both meson registrations (nats-server and ringnats), which meson may
# run at the same time: install under a lock, and only once.
exec 9<package.json
flock 9
if [[ ! -f node_modules/nats/package.json ]]; then
  npm ci --no-audit --no-fund
fi
flock -u 9

exec node --test test/*.test.mjs
