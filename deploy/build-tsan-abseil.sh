#!/usr/bin/env bash
# Builds Debian's abseil source package with ThreadSanitizer and installs it into a cache
# directory; prints the directory to put into pkg-config's path (its lib/pkgconfig).
#
# Why: Debian's libabsl-dev is not instrumented, so TSan cannot see absl::Mutex and CondVar
# synchronise and reports races that are none. The TSan build of ringnats (tests/run_all.sh)
# links this copy instead.
#
# The cache is keyed by the abseil source version and the compiler version, so a later run
# on the same machine costs nothing. It lives outside the work tree (CI clones afresh):
# $RINGNATS_CACHE_DIR, else /var/cache/ringnats (root) or ~/.cache/ringnats.
#
# Progress goes to stderr; stdout is only the prefix.
set -euo pipefail

cxx=${CXX:-g++}
version=$(dpkg-query -W -f='${source:Version}' libabsl-dev)
compiler=$("$cxx" -dumpfullversion)
if [ -n "${RINGNATS_CACHE_DIR:-}" ]; then
  cache=$RINGNATS_CACHE_DIR
elif [ "$(id -u)" -eq 0 ]; then
  cache=/var/cache/ringnats
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/ringnats
fi
prefix="$cache/abseil-tsan-${version}-$(basename "$cxx")-${compiler}"
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# `apt-get source` needs deb-src entries: add them for the archives the machine already uses.
if ! apt-get source --print-uris "abseil=$version" >/dev/null 2>&1; then
  sources=/etc/apt/sources.list.d/ringnats-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee "$sources" >/dev/null
  fi
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
      $SUDO tee /etc/apt/sources.list.d/ringnats-deb-src.list >/dev/null
  fi
  $SUDO apt-get update -qq >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
(cd "$work" && apt-get source "abseil=$version" >"$work/source.log" 2>&1) ||
  { cat "$work/source.log" >&2; exit 1; }
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'abseil-*' | head -1)

# As Debian configures it (C++17, its patched options.h), plus TSan. Static and PIC: nothing
# to find at run time, and it links into the PIE executables the TSan build makes. -O1 -g1
# keeps TSan's reports readable at a fraction of -O2 -g's build time.
cmake -S "$src" -B "$work/build" -G Ninja -Wno-dev \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_STANDARD=17 \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -O1 -g1" \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DBUILD_SHARED_LIBS=OFF \
  -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix.partial" \
  -DCMAKE_INSTALL_LIBDIR=lib >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
rm -rf "$prefix.partial"
ninja -C "$work/build" install >"$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; exit 1; }

# The .pc files name the prefix they were installed to; the rename below moves it.
sed -i "s|$prefix.partial|$prefix|g" "$prefix.partial"/lib/pkgconfig/*.pc
rm -rf "$prefix"
mv "$prefix.partial" "$prefix"
touch "$prefix/.complete"
echo "abseil $version built with TSan in $(( $(date +%s) - started )) s: $prefix" >&2
echo "$prefix"
