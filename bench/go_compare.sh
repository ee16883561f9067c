#!/usr/bin/env bash
# Side-by-side comparison of ringnats and nats-server with the real nats.go client
# (bench/go/natsbench, built here from Debian's golang-github-nats-io-go-nats-dev, offline) in
# the shapes of `nats bench`: pub, pub->sub (one publisher, one subscriber on its own
# connection, every message counted) and request/reply.
#
#   bench/go_compare.sh [--quick|--full]
#
# Every run gets a freshly started broker on a free port (-p -1 + ports file); the brokers
# alternate (A B, then B A) for ROUNDS rounds. The table shows medians, the spread
# ((max - min) / median) of each broker's runs, the ratio ringnats / nats-server, and the
# messages lost over all runs (a loss is a failed run: pub->sub must deliver everything).
# Broker CPU per message is the broker's utime+stime over the run (/proc/<pid>/stat). For
# ringnats each pub->sub line also counts the runs whose two connections shared a worker.
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   NATSBENCH_BIN     [built into the scratch directory from bench/go/natsbench]
#   RINGNATS_WORKERS  [2]   ringnats --workers
#   ROUNDS            [3]
#   PENDING           [default]  subscriber pending limits: default (nats.go's 512k msgs /
#                     64 MiB) or unlimited (SetPendingLimits(-1, -1))
#   ONLY              run only the cases whose name matches this grep -E pattern
#   KEEP_DIR          keep raw results (results.jsonl) and broker logs here
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"
PENDING=${PENDING:-default}
rounds=${ROUNDS:-3}
for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN"; do
  if [[ ! -x "$bin" ]]; then
    echo "go_compare.sh: $bin is missing or not executable (build it first, or set the env var)" >&2
    exit 2
  fi
done
command -v jq > /dev/null || { echo "go_compare.sh: needs jq" >&2; exit 2; }

if [[ $mode == quick ]]; then
  pub_n=2000000 pubsub_n=1000000 pubsub1k_n=200000 reqrep_n=5000
else
  pub_n=10000000 pubsub_n=5000000 pubsub1k_n=1000000 reqrep_n=20000
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-go-compare.XXXXXX")
results="$work/results.jsonl"
: > "$results"
server_pid=""
bench_cleanup_on_exit

if [[ -z ${NATSBENCH_BIN:-} ]]; then
  command -v go > /dev/null ||
    { echo "go_compare.sh: needs go (golang-go, golang-github-nats-io-go-nats-dev)" >&2; exit 2; }
  NATSBENCH_BIN=$work/natsbench
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOPROXY=off \
    go build -o "$NATSBENCH_BIN" ./bench/go/natsbench
fi

# name | natsbench arguments | metrics (first = headline)
cases=(
  "go-pub-16B|-mode pub -n $pub_n -size 16|msgs_per_sec broker_cpu_ns_per_msg"
  "go-pubsub-16B|-mode pubsub -n $pubsub_n -size 16 -pending $PENDING|msgs_per_sec pub_msgs_per_sec broker_cpu_ns_per_msg"
  "go-pubsub-1KiB|-mode pubsub -n $pubsub1k_n -size 1024 -pending $PENDING|msgs_per_sec pub_msgs_per_sec broker_cpu_ns_per_msg"
  "go-reqrep|-mode reqrep -n $reqrep_n -size 16|p50_us p99_us p999_us msgs_per_sec"
)
if [[ -n ${ONLY:-} ]]; then
  filtered=()
  for c in "${cases[@]}"; do
    if grep -qE -- "$ONLY" <<< "${c%%|*}"; then filtered+=("$c"); fi
  done
  cases=("${filtered[@]}")
fi
((${#cases[@]})) || exit 0

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Threads of a broker that did a fifth or more of its work: for ringnats, whether publisher and
# subscriber shared a worker (1) or not (2); the kernel's SO_REUSEPORT hash places them.
busy_threads() {
  cat /proc/"$1"/task/*/stat 2> /dev/null | sed 's/^.*) //' |
    awk '{ t[NR] = $12 + $13; s += t[NR] } END { for (i in t) n += (s > 0 && t[i] * 5 >= s); print n + 0 }'
}

# run_case NAME ARGS SERVER ROUND
run_case() {
  local name=$1 args=$2 server=$3 round=$4 dir url out rc cpu0 cpu1
  dir="$work/logs/$name.$server.r$round"
  start_server "$server" "$dir"
  url=nats://$server_url
  cpu0=$(cpu_ticks "$server_pid")
  # shellcheck disable=SC2086 # args is a word list on purpose
  out=$(timeout 300 "$NATSBENCH_BIN" -s "$url" $args 2> "$work/stderr") && rc=0 || rc=$?
  cpu1=$(cpu_ticks "$server_pid")
  busy=$(busy_threads "$server_pid")
  if grep -q "Slow Consumer" "$dir/log"; then
    echo "  $name on $server: the broker logged a slow consumer" >&2
  fi
  stop_server "$server_pid"
  server_pid=""
  if [[ -z $out ]]; then
    echo "  $name on $server failed (exit $rc): $(head -c 300 "$work/stderr")" >&2
    out='{"failed":true}'
  fi
  jq -c --arg c "$name" --arg s "$server" --argjson r "$round" \
    --argjson cpu "$(((cpu1 - cpu0) * 1000000000 / $(getconf CLK_TCK)))" --argjson busy "$busy" '
    . + {case: $c, server: $s, round: $r, broker_cpu_ns: $cpu, busy_threads: $busy}
    | if (.msgs // 0) > 0 then . + {broker_cpu_ns_per_msg: ($cpu / .msgs)} else . end' \
    <<< "$out" >> "$results"
}

echo "nats.go (natsbench) on ringnats vs nats-server, $mode mode: $rounds rounds, ringnats" \
  "--workers $RINGNATS_WORKERS, pending $PENDING, $(nproc) cores, load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
start_time=$(date +%s)
for round in $(seq "$rounds"); do
  if ((round % 2)); then order=(ringnats nats-server); else order=(nats-server ringnats); fi
  for c in "${cases[@]}"; do
    IFS='|' read -r name args _ <<< "$c"
    for server in "${order[@]}"; do
      run_case "$name" "$args" "$server" "$round"
    done
  done
  echo "  round $round/$rounds done ($(($(date +%s) - start_time)) s)" >&2
done

# stats_of CASE SERVER METRIC: "median min max" over the runs (or "- - -").
stats_of() {
  jq -rs --arg c "$1" --arg s "$2" --arg m "$3" '
    [.[] | select(.case == $c and .server == $s) | .[$m] | select(type == "number")] | sort
    | if length == 0 then "- - -"
      else "\(if length % 2 == 1 then .[(length - 1) / 2]
                else (.[length / 2 - 1] + .[length / 2]) / 2 end) \(.[0]) \(.[-1])" end' \
    "$results"
}
# lost_of CASE SERVER: messages lost over all runs, and runs that failed outright.
lost_of() {
  jq -rs --arg c "$1" --arg s "$2" '[.[] | select(.case == $c and .server == $s)]
    | "\(map(.lost // 0) | add)/\(map(select(.failed)) | length)"' "$results"
}
fmt() {
  if [[ $1 == - ]]; then echo -; else awk -v v="$1" 'BEGIN {
    a = v < 0 ? -v : v
    if (a >= 1e6) printf "%.3fM", v / 1e6; else if (a >= 1e4) printf "%.1fk", v / 1e3;
    else if (a >= 100) printf "%.0f", v; else printf "%.2f", v }'; fi
}
spread() { awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN { if (m == "-" || m + 0 == 0) print "-";
  else printf "%.0f%%", 100 * (hi - lo) / m }'; }

echo
printf '%-16s %-22s %10s %7s %10s %7s %7s %12s\n' case metric ringnats spread nats-server spread \
  ratio "lost rn/ns"
printf '%s\n' "$(printf '%.0s-' $(seq 98))"
for c in "${cases[@]}"; do
  IFS='|' read -r name _ metrics <<< "$c"
  first=1
  for m in $metrics; do
    read -r a a_min a_max <<< "$(stats_of "$name" ringnats "$m")"
    read -r b b_min b_max <<< "$(stats_of "$name" nats-server "$m")"
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
      else printf "%.2f", a / b }')
    lost=""
    ((first)) && lost="$(lost_of "$name" ringnats) $(lost_of "$name" nats-server)"
    printf '%-16s %-22s %10s %7s %10s %7s %7s %12s\n' "$( ((first)) && echo "$name")" "$m" \
      "$(fmt "$a")" "$(spread "$a" "$a_min" "$a_max")" "$(fmt "$b")" \
      "$(spread "$b" "$b_min" "$b_max")" "$ratio" "$lost"
    first=0
  done
done
echo
for c in "${cases[@]}"; do
  name=${c%%|*}
  [[ $name == go-pubsub-* ]] || continue
  echo "$name ringnats runs, msgs/s (busy worker threads: 1 = publisher and subscriber shared" \
    "one): $(jq -rs --arg c "$name" '[.[] | select(.case == $c and .server == "ringnats")
      | "\((.msgs_per_sec // 0) / 1000 | floor)k (\(.busy_threads))"] | join(", ")' "$results")"
done
echo "medians of $rounds runs; spread = (max - min) / median; ratio = ringnats / nats-server" \
  "(msgs/s: higher is better; latency, CPU: lower is better); lost = messages lost over all" \
  "runs / runs failed. pubsub msgs_per_sec: first Publish to last message received." \
  "Total $(($(date +%s) - start_time)) s."
