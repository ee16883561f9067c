#!/usr/bin/env bash
# Installs what ringnats needs to build and test, from Debian's archive (bookworm).
set -euo pipefail
packages=(
  build-essential meson ninja-build pkg-config
  liburing-dev libssl-dev libcrypt-dev libabsl-dev nlohmann-json3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Tests: the real nats-server to compare against, the C client, python3 for test drivers,
  # prometheus (and its promtool) to check and scrape /metrics, headless chromium (with a
  # font for its screenshots) to load the status page.
  nats-server libnats-dev python3 prometheus chromium fonts-dejavu-core
  # The nats.go client (GOPATH source) and the Go toolchain for tests/interop/go and bench/go.
  golang-go golang-github-nats-io-go-nats-dev
  # The ThreadSanitizer build compiles Debian's abseil source (deploy/build-tsan-abseil.sh).
  dpkg-dev cmake
  # systemd-analyze checks the units of deploy/ (tests/deploy/cluster_example_test.sh).
  systemd
)
# Node.js and npm run the npm `nats` client tests. A machine may already have them from
# elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm package), so
# only install Debian's when the commands are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
