#!/usr/bin/env bash
# Installs the dependencies, builds ringnats twice (optimised, and with ASan+UBSan) and runs
# the whole test suite: unit, integration (1, 2 and 4 workers), interoperability with the
# Debian C client and the npm `nats` client, the differential tests against Debian's
# nats-server, and the fuzz corpora. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

jobs=$(nproc)
status=0
build_failures=0
logs=()

run_build() {  # name, meson test args..., -- setup args...
  local dir=$1; shift
  local test_args=() setup_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do test_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  setup_args=("$@")
  if [ ! -d "$dir" ]; then
    meson setup "$dir" "${setup_args[@]}" >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
  logs+=("$dir/meson-logs/testlog.json")
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "${test_args[@]}"
  return 0  # failures are counted from the test log
}

run_build build-tests -- --buildtype=debugoptimized || build_failures=$((build_failures + 1))
# The sanitizer build runs the tests of our own code (unit, integration, fuzz corpora); the
# interop and reference suites exercise other people's programs and run once above.
run_build build-asan --suite unit --suite integration --suite fuzz-regression -- \
  --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false \
  -Dinterop_tests=false || build_failures=$((build_failures + 1))

# A build that failed counts as one failed test, so the summary line never hides it.
python3 tests/summarize_results.py --failed "$build_failures" "${logs[@]}" || status=1
exit $status
