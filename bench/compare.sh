#!/usr/bin/env bash
# Side-by-side load comparison of ringnats and nats-server with ringnats-bench.
#
#   bench/compare.sh [--quick|--full]
#
# Builds nothing. Every run gets a freshly started broker on a free port (-p -1 + ports file)
# that is stopped right after it; the two brokers alternate (A B A B ...) for ROUNDS rounds
# and the table shows per-metric medians and the ratio ringnats / nats-server.
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-load/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   BENCH_BIN         [build-load/bench/load/ringnats-bench]
#   RINGNATS_WORKERS  [2]   ringnats --workers
#   BENCH_THREADS     [2]   ringnats-bench --threads
#   ROUNDS            [3 quick, 5 full]
#   ONLY              run only the cases whose name matches this grep -E pattern
#   KEEP_DIR          keep raw results (JSON lines) and broker logs in this directory
set -euo pipefail

mode=quick
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    -h | --help)
      sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "compare.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
RINGNATS_BIN=${RINGNATS_BIN:-build-load/src/server/ringnats}
NATS_SERVER_BIN=${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
BENCH_BIN=${BENCH_BIN:-build-load/bench/load/ringnats-bench}
RINGNATS_WORKERS=${RINGNATS_WORKERS:-2}
BENCH_THREADS=${BENCH_THREADS:-2}

for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN" "$BENCH_BIN"; do
  if [[ ! -x "$bin" ]]; then
    echo "compare.sh: $bin is missing or not executable (build it first, or set the env var)" >&2
    exit 2
  fi
done
command -v jq > /dev/null || { echo "compare.sh: needs jq" >&2; exit 2; }

if [[ $mode == quick ]]; then
  rounds=${ROUNDS:-3}
  dur=1
  connect_conns=2000
  idle_conns=5000
else
  rounds=${ROUNDS:-5}
  dur=3
  connect_conns=10000
  idle_conns=10000
fi

# name | ringnats-bench arguments | metrics for the table (first = headline)
cases=(
  "pub-16B|pub --size 16 --duration $dur|msgs_per_sec server_cpu_ns_per_op"
  "pubsub-128B|pubsub --size 128 --duration $dur|msgs_per_sec server_cpu_ns_per_op"
  "fanout-128Bx8|fanout --size 128 --subs 8 --duration $dur|msgs_per_sec server_cpu_ns_per_op"
  "queue-128Bx4|queue --size 128 --subs 4 --duration $dur|msgs_per_sec server_cpu_ns_per_op"
  "many-subjects-10k|many-subjects --size 64 --subjects 10000 --duration $dur|msgs_per_sec server_cpu_ns_per_op subs_per_sec"
  "reqrep|reqrep --size 64 --duration $dur|reqs_per_sec lat_p50_us lat_p99_us server_cpu_ns_per_op"
  "reqrep-2k/s|reqrep --size 64 --rate 2000 --duration $dur|lat_p50_us lat_p99_us lat_p999_us server_cpu_ns_per_op"
  "connect|connect --conns $connect_conns --concurrency 16|connects_per_sec connect_p50_us connect_p99_us server_cpu_ns_per_op"
  "idle-conns|idle --conns $idle_conns --concurrency 32 --settle 1|rss_kb_per_10k_conns idle_server_cpu_pct connects_per_sec"
)
if [[ $mode == full ]]; then
  cases+=(
    "pub-1KiB-4pubs|pub --size 1024 --pubs 4 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op"
    "pubsub-16B|pubsub --size 16 --duration $dur|msgs_per_sec server_cpu_ns_per_op"
    "pubsub-4KiB-2x2|pubsub --size 4096 --pubs 2 --subs 2 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op"
    "fanout-64KiBx4|fanout --size 65536 --subs 4 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op"
    "many-subjects-100k|many-subjects --size 64 --subjects 100000 --subs 8 --duration $dur|msgs_per_sec server_cpu_ns_per_op subs_per_sec"
    "reqrep-10k/s|reqrep --size 64 --rate 10000 --duration $dur|lat_p50_us lat_p99_us lat_p999_us server_cpu_ns_per_op"
    "connect-c64|connect --conns $connect_conns --concurrency 64|connects_per_sec connect_p50_us connect_p99_us server_cpu_ns_per_op"
  )
fi
if [[ -n ${ONLY:-} ]]; then
  filtered=()
  for c in "${cases[@]}"; do
    if grep -qE -- "$ONLY" <<< "${c%%|*}"; then filtered+=("$c"); fi
  done
  cases=("${filtered[@]}")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-compare.XXXXXX")
results="$work/results.jsonl"
: > "$results"
server_pid=""
server_url=""

stop_server() {
  local pid=$1
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2> /dev/null; then
    kill -INT "$pid" 2> /dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}

cleanup() {
  stop_server "$server_pid"
  server_pid=""
  if [[ -n ${KEEP_DIR:-} ]]; then
    mkdir -p "$KEEP_DIR" && cp -r "$work"/. "$KEEP_DIR"/ && echo "raw results in $KEEP_DIR" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME: starts a fresh broker; sets server_pid and server_url.
start_server() {
  local name=$1 dir
  dir=$(mktemp -d "$work/$name.XXXXXX")
  case "$name" in
    ringnats)
      "$RINGNATS_BIN" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" --workers "$RINGNATS_WORKERS" \
        > "$dir/log" 2>&1 &
      ;;
    nats-server)
      "$NATS_SERVER_BIN" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" > "$dir/log" 2>&1 &
      ;;
  esac
  server_pid=$!
  # Both brokers name the file <program>_<pid>.ports and write it once they listen.
  local ports="$dir/${name}_${server_pid}.ports"
  for _ in $(seq 100); do
    [[ -s $ports ]] && break
    if ! kill -0 "$server_pid" 2> /dev/null; then break; fi
    sleep 0.05
  done
  if [[ ! -s $ports ]]; then
    echo "compare.sh: $name did not start; its log:" >&2
    cat "$dir/log" >&2
    exit 1
  fi
  server_url=$(sed -n 's|.*"nats://\([^"]*\)".*|\1|p' "$ports")
}

# run_case NAME ARGS SERVER ROUND
run_case() {
  local name=$1 args=$2 server=$3 round=$4 out rc
  start_server "$server"
  # shellcheck disable=SC2086 # args is a word list on purpose
  out=$(timeout 300 "$BENCH_BIN" $args --url "$server_url" --server-pid "$server_pid" \
    --threads "$BENCH_THREADS" --label "$server" --json 2> "$work/stderr") && rc=0 || rc=$?
  stop_server "$server_pid"
  server_pid=""
  if [[ -z $out ]]; then
    echo "  $name on $server failed (exit $rc): $(head -c 300 "$work/stderr")" >&2
    out='{"ok":false}'
  fi
  jq -c --arg c "$name" --arg s "$server" --argjson r "$round" \
    '. + {case: $c, server: $s, round: $r}' <<< "$out" >> "$results"
}

start_time=$(date +%s)
echo "ringnats vs nats-server, $mode mode: $rounds rounds, ringnats --workers $RINGNATS_WORKERS," \
  "bench --threads $BENCH_THREADS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  # Alternate which broker goes first so drift in machine load hits both alike.
  if ((round % 2)); then order=(ringnats nats-server); else order=(nats-server ringnats); fi
  for c in "${cases[@]}"; do
    IFS='|' read -r name args _ <<< "$c"
    for server in "${order[@]}"; do
      run_case "$name" "$args" "$server" "$round"
    done
  done
  echo "  round $round/$rounds done ($(($(date +%s) - start_time)) s)" >&2
done

# median CASE SERVER METRIC
median() {
  jq -rs --arg c "$1" --arg s "$2" --arg m "$3" '
    [.[] | select(.case == $c and .server == $s) | .[$m] | select(type == "number")] | sort
    | if length == 0 then "-"
      elif length % 2 == 1 then .[(length - 1) / 2]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$results"
}

ok_runs() {
  jq -rs --arg c "$1" --arg s "$2" \
    '[.[] | select(.case == $c and .server == $s)] | "\([.[] | select(.ok == true)] | length)/\(length)"' \
    "$results"
}

fmt() {
  if [[ $1 == - ]]; then echo -; else awk -v v="$1" 'BEGIN {
    a = v < 0 ? -v : v
    if (a >= 1e6) printf "%.3fM", v / 1e6; else if (a >= 1e4) printf "%.1fk", v / 1e3;
    else if (a >= 100) printf "%.0f", v; else printf "%.2f", v }'; fi
}

echo
printf '%-20s %-22s %12s %12s %8s %7s %7s\n' case metric ringnats nats-server ratio "ok(rn)" "ok(ns)"
printf '%s\n' "$(printf '%.0s-' $(seq 94))"
for c in "${cases[@]}"; do
  IFS='|' read -r name _ metrics <<< "$c"
  ok_rn=$(ok_runs "$name" ringnats)
  ok_ns=$(ok_runs "$name" nats-server)
  first=1
  for m in $metrics; do
    a=$(median "$name" ringnats "$m")
    b=$(median "$name" nats-server "$m")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
      else printf "%.2f", a / b }')
    if ((first)); then
      printf '%-20s %-22s %12s %12s %8s %7s %7s\n' "$name" "$m" "$(fmt "$a")" "$(fmt "$b")" "$ratio" \
        "$ok_rn" "$ok_ns"
    else
      printf '%-20s %-22s %12s %12s %8s\n' "" "$m" "$(fmt "$a")" "$(fmt "$b")" "$ratio"
    fi
    first=0
  done
done
echo
echo "medians of $rounds runs each; ratio = ringnats / nats-server (throughput: higher is better;" \
  "latency, CPU per op and RSS: lower is better). ok = runs whose counts verified. Total" \
  "$(($(date +%s) - start_time)) s."
