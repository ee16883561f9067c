#!/usr/bin/env bash
# Installs the build dependencies, builds ringnats and starts it in the foreground with
# deploy/ringnats.conf (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
if [ ! -d build-release ]; then
  meson setup build-release --buildtype=release -Dtests=false -Dbenchmarks=false
fi
ninja -C build-release src/server/ringnats
exec build-release/src/server/ringnats -c deploy/ringnats.conf "$@"
