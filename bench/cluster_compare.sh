#!/usr/bin/env bash
# A 2-node ringnats cluster against a 2-node nats-server cluster on loopback (issue 11,
# performance): routed pub->sub, routed request/reply and interest propagation.
#
#   bench/cluster_compare.sh
#
# Builds nothing; a bench, not a test. Every round starts, for each broker in turn (the order
# alternates from round to round), a fresh cluster of two nodes on free ports: node A
# listens for routes (`cluster { name, listen }`), node B has A in `routes`. Once /routez
# reports one route on both nodes, bench/cluster_probe.py measures (ringnats-bench puts
# every client of a scenario on one --url, so the clients on two nodes are in the helper):
#   pubsub    16 B, publisher on A, subscriber on B: msgs/s at the subscriber, and both
#             nodes' CPU (utime+stime from /proc/PID/stat) per routed message
#   reqrep    requester on A, responder on B, one request outstanding: p50/p99 (us)
#   interest  a client on B subscribes to SUBJECTS distinct subjects; A publishes the last
#             one every POLL_MS until B gets it: ms from the first SUB written to delivery
# The cluster is stopped after each round. The table (medians, then every run's value, and
# ringnats / nats-server) goes to stdout and is appended to bench/RESULTS-cluster.md.
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   RINGNATS_WORKERS  [2]       ringnats --workers on each node
#   ROUNDS            [3]
#   DURATION          [5]       seconds per throughput / latency measurement
#   SIZE              [16]      pubsub payload bytes
#   REQ_SIZE          [16]      reqrep payload bytes
#   SUBJECTS          [100000]  interest propagation subscriptions
#   POLL_MS           [2]
#   SERVERS           ["ringnats nats-server"]  (one of them alone: a check of the script)
#   RESULTS           [bench/RESULTS-cluster.md]  (empty: do not append)
#   KEEP_DIR          keep configs, logs and raw JSON lines in this directory
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
RINGNATS_BIN=${RINGNATS_BIN:-build-release/src/server/ringnats}
NATS_SERVER_BIN=${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
RINGNATS_WORKERS=${RINGNATS_WORKERS:-2}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SIZE=${SIZE:-16}
REQ_SIZE=${REQ_SIZE:-16}
SUBJECTS=${SUBJECTS:-100000}
POLL_MS=${POLL_MS:-2}
SERVERS=${SERVERS:-ringnats nats-server}
RESULTS=${RESULTS-bench/RESULTS-cluster.md}
probe="$root/bench/cluster_probe.py"

for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN"; do
  [[ -x $bin ]] || { echo "cluster_compare.sh: $bin is missing (build it or set the env var)" >&2; exit 2; }
done
for tool in jq curl python3; do
  command -v "$tool" > /dev/null || { echo "cluster_compare.sh: needs $tool" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-cluster.XXXXXX")
results="$work/results.jsonl"
: > "$results"
pids=()

stop_pid() {
  local pid=$1
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
stop_cluster() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  pids=()
}
cleanup() {
  stop_cluster
  if [[ -n ${KEEP_DIR:-} ]]; then
    mkdir -p "$KEEP_DIR" && cp -r "$work"/. "$KEEP_DIR"/ && echo "raw results in $KEEP_DIR" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Six distinct free loopback ports (all bound at once, then released).
free_ports() {
  python3 -c '
import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
}

# start_node SERVER DIR NAME CLIENT_PORT HTTP_PORT CONFIG: starts one node, appends its pid.
start_node() {
  local server=$1 dir=$2 name=$3 port=$4 http=$5 config=$6
  case "$server" in
    ringnats)
      "$RINGNATS_BIN" -c "$config" -a 127.0.0.1 -p "$port" -m "$http" -n "$name" \
        --workers "$RINGNATS_WORKERS" > "$dir/$name.log" 2>&1 &
      ;;
    nats-server)
      "$NATS_SERVER_BIN" -c "$config" -a 127.0.0.1 -p "$port" -m "$http" -n "$name" \
        > "$dir/$name.log" 2>&1 &
      ;;
  esac
  pids+=($!)
}

# num_routes HTTP_PORT: /routez num_routes, or -1.
num_routes() {
  curl -s --max-time 1 "http://127.0.0.1:$1/routez" 2> /dev/null | jq -r '.num_routes // -1' 2> /dev/null \
    || echo -1
}

# start_cluster SERVER ROUND: sets a_url, b_url and pids (A then B).
start_cluster() {
  local server=$1 round=$2 dir ca cb pa pb ma mb
  dir="$work/logs/$server.r$round"
  mkdir -p "$dir"
  read -r ca cb pa pb ma mb <<< "$(free_ports)"
  printf 'cluster {\n  name: bench\n  listen: 127.0.0.1:%s\n}\n' "$ca" > "$dir/a.conf"
  printf 'cluster {\n  name: bench\n  listen: 127.0.0.1:%s\n  routes: [nats-route://127.0.0.1:%s]\n}\n' \
    "$cb" "$ca" > "$dir/b.conf"
  start_node "$server" "$dir" node-a "$pa" "$ma" "$dir/a.conf"
  start_node "$server" "$dir" node-b "$pb" "$mb" "$dir/b.conf"
  local ok=0
  for _ in $(seq 200); do
    if [[ $(num_routes "$ma") == 1 && $(num_routes "$mb") == 1 ]]; then ok=1; break; fi
    sleep 0.05
  done
  if ((!ok)); then
    echo "cluster_compare.sh: $server cluster did not form a route within 10 s; logs:" >&2
    tail -n 20 "$dir"/node-a.log "$dir"/node-b.log >&2
    exit 1
  fi
  a_url=127.0.0.1:$pa
  b_url=127.0.0.1:$pb
}

# measure SERVER ROUND MODE ARGS...: one helper run, its JSON line tagged into results.
measure() {
  local server=$1 round=$2 mode=$3 out rc
  shift 3
  out=$(timeout 180 python3 "$probe" "$mode" --a "$a_url" --b "$b_url" "$@" 2> "$work/stderr") \
    && rc=0 || rc=$?
  if [[ -z $out ]]; then
    echo "  $mode on $server failed (exit $rc): $(tail -c 400 "$work/stderr")" >&2
    out="{\"mode\":\"$mode\",\"failed\":true}"
  fi
  jq -c --arg s "$server" --argjson r "$round" '. + {server: $s, round: $r}' <<< "$out" >> "$results"
}

start_time=$(date +%s)
load_before=$(uptime)
header="2-node clusters on loopback, $ROUNDS rounds, ${DURATION} s per measurement, ringnats"
header+=" --workers $RINGNATS_WORKERS, $(nproc) cores"
echo "$header"
echo "load before: $load_before"
for round in $(seq "$ROUNDS"); do
  read -r -a order <<< "$SERVERS"
  if ((round % 2 == 0)); then mapfile -t order < <(printf '%s\n' "${order[@]}" | tac); fi
  for server in "${order[@]}"; do
    start_cluster "$server" "$round"
    measure "$server" "$round" pubsub --duration "$DURATION" --size "$SIZE" \
      --pids "$(IFS=,; echo "${pids[*]}")"
    measure "$server" "$round" reqrep --duration "$DURATION" --size "$REQ_SIZE"
    measure "$server" "$round" interest --subjects "$SUBJECTS" --poll-ms "$POLL_MS"
    stop_cluster
  done
  echo "  round $round/$ROUNDS done ($(($(date +%s) - start_time)) s)" >&2
done
load_after=$(uptime)

# values MODE SERVER METRIC: every run's value in round order, space separated.
values() {
  jq -rs --arg m "$1" --arg s "$2" --arg k "$3" \
    '[.[] | select(.mode == $m and .server == $s) | .[$k] | if type == "number" then . else "-" end]
     | map(tostring) | join(" ")' "$results"
}
median() {
  tr ' ' '\n' <<< "$1" | awk '$1 != "-" && $1 != ""' | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
             else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fmt() {
  if [[ $1 == - ]]; then echo -; else awk -v v="$1" 'BEGIN {
    a = v < 0 ? -v : v
    if (a >= 1e6) printf "%.3fM", v / 1e6; else if (a >= 1e4) printf "%.1fk", v / 1e3;
    else if (a >= 100) printf "%.0f", v; else printf "%.1f", v }'; fi
}
fmt_list() { local out="" v; for v in $1; do out+="$(fmt "$v") "; done; echo "${out% }"; }

# mode | metric | label | target on ringnats / nats-server (from issue 11)
rows=(
  "pubsub|msgs_per_sec|routed pub->sub ${SIZE} B msgs/s|>= 1.5"
  "pubsub|server_cpu_ns_per_msg|  broker CPU ns / routed msg (A+B)|"
  "pubsub|server_cpu_pct|  broker CPU % of one core (A+B)|"
  "pubsub|client_cpu_pct|  client (python) CPU % of one core|"
  "reqrep|lat_p50_us|routed req/reply p50 us|<= 0.8"
  "reqrep|lat_p99_us|routed req/reply p99 us|<= 0.8"
  "reqrep|reqs_per_sec|  req/s (closed loop)|"
  "interest|propagation_ms|interest ${SUBJECTS} subs: ms to delivery|<= 0.5"
  "interest|local_pong_ms|  ms to PONG on node B|"
)
table="$work/table.md"
{
  echo "| measurement | ringnats median | nats-server median | ratio | target | ringnats runs | nats-server runs |"
  echo "|---|---:|---:|---:|---|---|---|"
  for row in "${rows[@]}"; do
    IFS='|' read -r mode metric label target <<< "$row"
    rn=$(values "$mode" ringnats "$metric")
    ns=$(values "$mode" nats-server "$metric")
    a=$(median "$rn")
    b=$(median "$ns")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
      else printf "%.2f", a / b }')
    verdict=""
    if [[ -n $target && $ratio != - ]]; then
      op=${target%% *}
      lim=${target##* }
      if awk -v r="$ratio" -v l="$lim" -v op="$op" 'BEGIN { exit !((op == ">=") ? r >= l : r <= l) }'; then
        verdict="$target: met"
      else
        verdict="$target: missed"
      fi
    fi
    echo "| $label | $(fmt "$a") | $(fmt "$b") | $ratio | $verdict | $(fmt_list "$rn") | $(fmt_list "$ns") |"
  done
} > "$table"

warning=""
for l in "$load_before" "$load_after"; do
  l1=$(sed 's/.*load average: *//; s/,.*//' <<< "$l")
  if awk -v l="$l1" 'BEGIN { exit !(l > 2) }'; then
    warning="**Warning:** load average above 2 during this run (another job, e.g. a CI run, was using the machine): read the numbers as loaded-machine numbers."
  fi
done
commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
report="$work/report.md"
{
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo
  echo "$header; $("$NATS_SERVER_BIN" --version 2> /dev/null | head -n 1);" \
    "clients from bench/cluster_probe.py (python3, sockets), pubsub ${SIZE} B, reqrep ${REQ_SIZE} B," \
    "interest polled every ${POLL_MS} ms. Total $(($(date +%s) - start_time)) s."
  echo
  echo "- ringnats binary: $RINGNATS_BIN (built $(date -u -r "$RINGNATS_BIN" '+%Y-%m-%d %H:%M UTC'))"
  echo "- uptime before: \`$load_before\`"
  echo "- uptime after: \`$load_after\`"
  [[ -n $warning ]] && { echo; echo "$warning"; }
  echo
  cat "$table"
  echo
  echo "Ratio = ringnats / nats-server (msgs/s: higher is better; latency, CPU and time: lower" \
    "is better). Runs are listed in round order; '-' is a failed run. The clients are Python," \
    "so latencies include a constant client cost that narrows the ratio."
  echo
} > "$report"
cat "$report"
if [[ -n $RESULTS ]]; then
  if [[ ! -e $RESULTS ]]; then
    printf '# Cluster benchmarks: ringnats vs nats-server 2.9.10\n\nAppended by bench/cluster_compare.sh (see its header for what each row measures).\n\n' > "$RESULTS"
  fi
  cat "$report" >> "$RESULTS"
  echo "appended to $RESULTS" >&2
fi
