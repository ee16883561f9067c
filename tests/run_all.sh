#!/usr/bin/env bash
# Installs the dependencies, builds ringnats three times and runs the test suites:
#   build-tests  optimised: every suite (unit; integration at 1, 2 and 4 workers; interop with
#                the Debian C client and the npm `nats` client; the differential tests against
#                Debian's nats-server; the monitoring endpoints beside nats-server's, scraped
#                by Prometheus and shown in headless Chromium; clusters of ringnats, of
#                nats-server and mixed, and the deploy/cluster example; client TLS against
#                ringnats and nats-server; the fuzz corpora; the zero-allocation check)
#   build-asan   ASan+UBSan: unit, integration, interop, adversarial, monitoring, cluster, tls,
#                fuzz-regression
#   build-tsan   ThreadSanitizer, linked with a TSan-built abseil: suite 'tsan'
# Every setup has -Dwerror=true, and -Drequire_test_deps=true so that a missing nats-server,
# libnats, node or npm stops the run instead of registering fewer tests. The summary checks
# that each build ran a test of each suite it is expected to run. Ends with one line:
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

# Inherited by the tests and by every broker a test starts (tests/harness/server_process.h
# fails a test whose broker printed a report or did not exit cleanly). Leaks are checked when
# a sanitized broker exits; UBSan stops at its first report (the build also has
# -fno-sanitize-recover=all).
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=second_deadlock_stack=1:suppressions=$PWD/tests/tsan_suppressions.txt

jobs=$(nproc)
build_failures=0
logs=()
started=$SECONDS

# The build targets the tests of the given suites need (what `meson test` would rebuild).
suite_targets() {  # dir, suite...
  python3 - "$@" <<'EOF'
import json, os, sys
build, suites = sys.argv[1], set(sys.argv[2:])
info = os.path.join(build, 'meson-info')
files = {t['id']: t['filename'] for t in json.load(open(os.path.join(info, 'intro-targets.json')))}
needed = set()
for test in json.load(open(os.path.join(info, 'intro-tests.json'))):
    if suites & {suite.rpartition(':')[2] for suite in test['suite']}:
        for target in test['depends']:
            needed.update(os.path.relpath(f, build) for f in files.get(target, []))
print('\n'.join(sorted(needed)))
EOF
}

# Sanitizer builds pass a timeout multiplier: their tests run several times slower.
run_build() {  # dir, suites to run ("" = all), suites expected to run, timeout multiplier, setup args...
  local dir=$1 suites=$2 expected=$3
  local test_args=(--timeout-multiplier "$4") targets=() suite
  shift 4
  local t0=$SECONDS
  if [ ! -d "$dir" ]; then
    meson setup "$dir" -Dwerror=true -Drequire_test_deps=true "$@" >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log"; return 1; }
  fi
  if [ -n "$suites" ]; then
    # A build dir from an earlier run: regenerate first, so the test list is today's.
    ninja -C "$dir" build.ninja >/dev/null 2>&1
    for suite in $suites; do test_args+=(--suite "$suite"); done
    # shellcheck disable=SC2086
    mapfile -t targets < <(suite_targets "$dir" $suites)
  fi
  ninja -C "$dir" "${targets[@]}" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
  echo "== $dir: built in $((SECONDS - t0)) s"
  logs+=("$dir/meson-logs/testlog.json=${expected// /,}")
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "${test_args[@]}"
  echo "== $dir: built and tested in $((SECONDS - t0)) s"
  return 0  # failures are counted from the test log
}

run_build build-tests "" \
  "unit integration interop interop-reference differential differential-reference adversarial adversarial-reference monitoring monitoring-reference cluster cluster-reference cluster-mixed tls tls-reference deploy deploy-reference fuzz-regression alloc" \
  1 --buildtype=debugoptimized || build_failures=$((build_failures + 1))

# The sanitizer build runs the tests of our own code and the interop clients against the
# sanitized broker; the differential suites compare with nats-server and run once above.
run_build build-asan "unit integration interop adversarial monitoring cluster tls fuzz-regression" \
  "unit integration interop adversarial monitoring cluster tls fuzz-regression" \
  2 --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false ||
  build_failures=$((build_failures + 1))

# Debian's abseil is not instrumented: TSan would not see absl::Mutex synchronise. The first
# run on a machine builds it from Debian's source package (cached, keyed by its version).
t0=$SECONDS
if absl_tsan=$(deploy/build-tsan-abseil.sh); then
  echo "== abseil with TSan: ready in $((SECONDS - t0)) s ($absl_tsan)"
  run_build build-tsan "tsan" "tsan" \
    3 --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dbenchmarks=false \
    -Dinterop_tests=false -Dpkg_config_path="$absl_tsan/lib/pkgconfig" ||
    build_failures=$((build_failures + 1))
else
  echo "building abseil with TSan failed"
  build_failures=$((build_failures + 1))
fi

echo "== all builds and tests: $((SECONDS - started)) s"
# A build that failed counts as one failed test, so the summary line never hides it.
python3 tests/summarize_results.py --failed "$build_failures" "${logs[@]}"
