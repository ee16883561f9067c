#!/usr/bin/env bash
# Where ringnats spends its CPU on the four message paths (issue 13, Profiles): pub 16 B,
# pub->sub 16 B, fan-out 1->8 and request/reply, each driven by ringnats-bench.
#
#   bench/profile.sh [--quick|--full]
#
# Builds nothing. For each path: a freshly started ringnats, ringnats-bench drives the shape
# for DURATION seconds, and `perf record` samples every thread of the broker (DWARF call
# graphs: the release build keeps no frame pointers) for all but the first and last second.
# Writes, per path:
#   bench/plots/flame-<path>.svg   a flame graph (npm's `flamegraph`, installed on first use
#                                  into FLAMEGRAPH_DIR)
#   bench/profiles/<path>.txt      the run's numbers, the top symbols by self time, and the
#                                  share of each broker thread
# bench/RESULTS-profile.md reads them (top five costs per path, by hand).
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   BENCH_BIN         [build-release/bench/load/ringnats-bench]
#   RINGNATS_WORKERS  [2]
#   BENCH_THREADS     [2]
#   DURATION          [8 quick, 15 full]  seconds per path
#   FREQUENCY         [499]  samples per second per thread
#   FLAMEGRAPH_DIR    [$HOME/.cache/ringnats-flamegraph]
#   ONLY              run only the paths whose name matches this grep -E pattern
#   KEEP_DIR          keep the perf data and the broker logs
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"
FREQUENCY=${FREQUENCY:-499}
FLAMEGRAPH_DIR=${FLAMEGRAPH_DIR:-$HOME/.cache/ringnats-flamegraph}
if [[ $mode == full ]]; then DURATION=${DURATION:-15}; else DURATION=${DURATION:-8}; fi

for bin in "$RINGNATS_BIN" "$BENCH_BIN"; do
  [[ -x $bin ]] || { echo "profile.sh: $bin not built" >&2; exit 1; }
done
command -v perf > /dev/null || { echo "profile.sh: needs perf (Debian: linux-perf)" >&2; exit 1; }
flamegraph=$FLAMEGRAPH_DIR/node_modules/.bin/flamegraph
if [[ ! -x $flamegraph ]]; then
  mkdir -p "$FLAMEGRAPH_DIR"
  npm install --silent --prefix "$FLAMEGRAPH_DIR" flamegraph@1.3.0 > /dev/null
fi

work=$(mktemp -d)
server_pid=""
bench_cleanup_on_exit
mkdir -p bench/plots bench/profiles

paths=(
  "pub-16B|pub --size 16"
  "pubsub-16B|pubsub --size 16"
  "fanout-16Bx8|fanout --size 16 --subs 8"
  "reqrep|reqrep --size 64"
)

for entry in "${paths[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  if [[ -n ${ONLY:-} ]] && ! grep -qE -- "$ONLY" <<< "$name"; then continue; fi
  dir=$work/$name
  start_server ringnats "$dir"
  url=nats://$server_url

  echo "== $name: $args ($DURATION s)" >&2
  # shellcheck disable=SC2086 # $args is a word list
  "$BENCH_BIN" $args --duration "$DURATION" --url "$url" --server-pid "$server_pid" \
    --threads "$BENCH_THREADS" --label ringnats --json > "$dir/bench.json" 2> "$dir/bench.err" &
  bench_pid=$!
  sleep 1
  perf record -q -F "$FREQUENCY" --call-graph dwarf,16384 -p "$server_pid" -o "$dir/perf.data" \
    -- sleep $((DURATION - 2)) 2> "$dir/perf.err"
  wait "$bench_pid"
  stop_server "$server_pid"
  server_pid=""

  perf script -i "$dir/perf.data" 2> /dev/null > "$dir/perf.script"
  "$flamegraph" -t perf --minwidth 0.5 --titletext "ringnats $name ($(date -u +%F), $(nproc) cores)" \
    < "$dir/perf.script" > "bench/plots/flame-$name.svg"
  {
    echo "# ringnats $name: ringnats-bench $args --duration $DURATION"
    echo "# $(date -u '+%F %T UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# result: $(cat "$dir/bench.json")"
    echo
    echo "## top symbols by self time (all broker threads)"
    echo "# (in this VM, kernel time mostly lands on pvm_irq_enable: the sampling interrupt"
    echo "# fires when the kernel re-enables interrupts; the inclusive list shows its callers)"
    perf report -i "$dir/perf.data" --stdio --no-children --sort symbol --percent-limit 1 \
      -g none 2> /dev/null | grep '%' | grep -v '^#'
    echo
    echo "## inclusive time (self and callees), top 30"
    perf report -i "$dir/perf.data" --stdio --children --sort symbol -g none 2> /dev/null |
      grep '%' | grep -v '^#' | awk 'NR <= 30'
    echo
    echo "## share per thread"
    perf report -i "$dir/perf.data" --stdio --no-children --sort comm -g none 2> /dev/null |
      grep '%' | grep -v '^#' | awk 'NR <= 12'
  } > "bench/profiles/$name.txt"
  echo "  bench/plots/flame-$name.svg, bench/profiles/$name.txt" >&2
done
