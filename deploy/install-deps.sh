#!/usr/bin/env bash
# Installs what ringnats needs to build and test, from Debian's archive (bookworm).
set -euo pipefail
packages=(
  build-essential meson ninja-build pkg-config
  liburing-dev libssl-dev libcrypt-dev libabsl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Tests: the real nats-server to compare against, the C client, Node.js for the npm client.
  nats-server libnats-dev nodejs npm python3
)
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
