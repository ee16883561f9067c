#!/usr/bin/env bash
# Installs the build dependencies, builds ringnats and starts it in the foreground with
# deploy/ringnats.conf (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
if [ ! -d build-quickstart ]; then
  meson setup build-quickstart --buildtype=release -Dtests=false -Dbenchmarks=false
fi
ninja -C build-quickstart src/server/ringnats
exec build-quickstart/src/server/ringnats -c deploy/ringnats.conf "$@"
