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
# Each next build compiles, at the lowest priority, while the tests of the one before run; the
# ThreadSanitizer abseil (first run on a machine only) builds in the background from the start.
# Test code is compiled without optimisation in every build (tests/meson.build).
# Every setup has -Dwerror=true, and -Drequire_test_deps=true so that a missing nats-server,
# libnats, node or npm stops the run instead of registering fewer tests. The summary checks
# that each build ran a test of each suite it is expected to run. Ends with one line:
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
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

# Runs a command as a child and waits for it: bash runs a trap (below) only once the
# foreground command has ended, but interrupts a `wait` at once.
interruptible() {
  "$@" &
  wait $!
}

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

# Sets up (or regenerates) a build dir and compiles what the given suites need ("" = all).
# -g1 (line tables, what sanitizer reports and backtraces print) instead of full debug
# information compiles about a fifth faster.
build() {  # dir, suites, setup args...
  local dir=$1 suites=$2 targets=() t0=$SECONDS
  shift 2
  if [ ! -d "$dir" ]; then
    meson setup "$dir" -Dwerror=true -Drequire_test_deps=true -Dcpp_args=-g1 "$@" \
      >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log"; return 1; }
  fi
  # A build dir from an earlier run: regenerate first, so the test list is today's.
  ninja -C "$dir" build.ninja >/dev/null 2>&1
  # shellcheck disable=SC2086
  [ -z "$suites" ] || mapfile -t targets < <(suite_targets "$dir" $suites)
  interruptible ninja -C "$dir" "${targets[@]}" >"$dir.build.log" 2>&1 ||
    { tail -50 "$dir.build.log"; return 1; }
  echo "== $dir: built in $((SECONDS - t0)) s"
}

# The next build compiles at the lowest priority while the tests of the previous one run:
# those tests mostly wait on sockets and child processes, and the scheduler gives them the
# CPU whenever they want it, so the compiler only takes what they leave idle.
build_in_background() {  # dir, suites, setup args...
  nice -n 19 bash -c "$(declare -f build suite_targets interruptible); build \"\$@\"" build "$@" &
}

# Sanitizer builds pass a timeout multiplier: their tests run several times slower.
run_tests() {  # dir, suites to run ("" = all), suites expected to run, timeout multiplier
  local dir=$1 suites=$2 expected=$3 suite t0=$SECONDS
  local test_args=(--timeout-multiplier "$4")
  for suite in $suites; do test_args+=(--suite "$suite"); done
  logs+=("$dir/meson-logs/testlog.json=${expected// /,}")
  interruptible meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" \
    "${test_args[@]}"
  echo "== $dir: tested in $((SECONDS - t0)) s"
}

# Debian's abseil is not instrumented: TSan would not see absl::Mutex synchronise. The first
# run on a machine builds it from Debian's source package (cached, keyed by its version), in
# the background from the start.
absl_tsan_file=$(mktemp)

# Background work ignores the terminal's Ctrl-C (a non-interactive shell starts it so): when
# this script is interrupted or ends early, stop it and everything it started.
descendants() {  # pid: its children's descendants, then its children
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    descendants "$child"
    echo "$child"
  done
}
stop_background_work() {
  local pid all=()
  for pid in $(jobs -p); do
    mapfile -t -O "${#all[@]}" all < <(descendants "$pid")
    all+=("$pid")
  done
  [ "${#all[@]}" -eq 0 ] || kill "${all[@]}" 2>/dev/null
}
trap 'stop_background_work; rm -f "$absl_tsan_file"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
nice -n 19 deploy/build-tsan-abseil.sh >"$absl_tsan_file" &
absl_tsan_pid=$!

all_suites="unit integration interop interop-reference differential differential-reference adversarial adversarial-reference monitoring monitoring-reference cluster cluster-reference cluster-mixed tls tls-reference deploy deploy-reference fuzz-regression alloc"
# The sanitizer build runs the tests of our own code and the interop clients against the
# sanitized broker; the differential suites compare with nats-server and run once above.
asan_suites="unit integration interop adversarial monitoring cluster tls fuzz-regression"
# shellcheck disable=SC2054  # commas inside one meson option
asan_setup=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false)

# 1. The optimised build runs every suite while the ASan+UBSan build compiles.
if build build-tests "" --buildtype=debugoptimized; then
  build_in_background build-asan "$asan_suites" "${asan_setup[@]}"
  asan_build_pid=$!
  run_tests build-tests "" "$all_suites" 1
else
  build_failures=$((build_failures + 1))
  build build-asan "$asan_suites" "${asan_setup[@]}" &
  asan_build_pid=$!
fi

# 2. ASan+UBSan runs its suites while the TSan build compiles.
asan_built=0
wait "$asan_build_pid" && asan_built=1
tsan_build_pid=""
if wait "$absl_tsan_pid" && absl_tsan=$(cat "$absl_tsan_file") && [ -n "$absl_tsan" ]; then
  echo "== abseil with TSan: ready ($absl_tsan)"
  build_in_background build-tsan "tsan" --buildtype=debugoptimized -Db_sanitize=thread \
    -Db_lundef=false -Dbenchmarks=false -Dinterop_tests=false \
    -Dpkg_config_path="$absl_tsan/lib/pkgconfig"
  tsan_build_pid=$!
else
  echo "building abseil with TSan failed"
  build_failures=$((build_failures + 1))
fi
if [ "$asan_built" = 1 ]; then
  run_tests build-asan "$asan_suites" "$asan_suites" 2
else
  build_failures=$((build_failures + 1))
fi

# 3. ThreadSanitizer, linked with the TSan-built abseil: suite 'tsan'.
if [ -n "$tsan_build_pid" ]; then
  if wait "$tsan_build_pid"; then
    run_tests build-tsan "tsan" "tsan" 3
  else
    build_failures=$((build_failures + 1))
  fi
fi

echo "== all builds and tests: $((SECONDS - started)) s"
# A build that failed counts as one failed test, so the summary line never hides it.
python3 tests/summarize_results.py --failed "$build_failures" "${logs[@]}"
