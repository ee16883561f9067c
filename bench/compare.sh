#!/usr/bin/env bash
# Side-by-side load comparison of ringnats and nats-server with ringnats-bench.
#
#   bench/compare.sh [--quick|--full]
#
# Builds nothing. Every run gets a freshly started broker on a free port (-p -1 + ports file)
# that is stopped right after it; the two brokers alternate (A B A B ...) for ROUNDS rounds
# and the table shows per-metric medians and the ratio ringnats / nats-server.
# Cases with auth start BOTH brokers with the same config file (-c), generated once per
# invocation: a token, one user with a plain password, 100 plain users, and bcrypt users at
# cost 4, 10 and 11 (distinct users, or the first 10 of them shared by every connection, each
# used once before the clock starts: a reconnect storm of known clients).
# ringnats runs with its defaults for its own keys (auth_threads = online CPUs, credential
# cache on), so the file holds nothing nats-server does not know.
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   BENCH_BIN         [build-release/bench/load/ringnats-bench]
#   RINGNATS_WORKERS  [2]   ringnats --workers
#   BENCH_THREADS     [2]   ringnats-bench --threads
#   ROUNDS            [3 quick, 5 full: single runs here differ by up to 25%]
#   ONLY              run only the cases whose name matches this grep -E pattern
#   KEEP_DIR          keep raw results (results.jsonl: one JSON line per run), the medians
#                     with min/max (summary.tsv), the auth fixtures (fixtures/) and broker
#                     logs (logs/<case>.<server>.r<round>/) in this directory
#   GO_SHAPES         [1]   then run the nats.go shapes too (bench/go_compare.sh, cases go-*;
#                     their raw results go to KEEP_DIR/go); 0 skips them; skipped without go
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"

for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN" "$BENCH_BIN"; do
  if [[ ! -x "$bin" ]]; then
    echo "compare.sh: $bin is missing or not executable (build it first, or set the env var)" >&2
    exit 2
  fi
done
command -v jq > /dev/null || { echo "compare.sh: needs jq" >&2; exit 2; }

if [[ $mode == quick ]]; then
  rounds=${ROUNDS:-3}
  dur=0.5
  conn_dur=0.5
  idle_conns=2000
  b4_users=2048
  b11_users=48
else
  rounds=${ROUNDS:-5}
  dur=3
  conn_dur=2
  idle_conns=10000
  b4_users=8192
  b11_users=128
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-compare.XXXXXX")
results="$work/results.jsonl"
: > "$results"
fixtures="$work/fixtures"
mkdir -p "$fixtures"
server_pid=""
server_url=""

summary="$work/summary.tsv"
bench_cleanup_on_exit

start_time=$(date +%s)

# --- auth fixtures: one config file per auth mode, read by both brokers ----------------------
gen_users() { # NAME COUNT [COST]
  local args=(gen-users --count "$2" --users-file "$fixtures/$1.users"
    --server-config "$fixtures/$1.conf")
  [[ -n ${3:-} ]] && args+=(--bcrypt-cost "$3")
  "$BENCH_BIN" "${args[@]}"
}
# The first N credentials of a users file (shared-credential storms).
head_users() { awk -v n="$2" '!/^#/ && k < n { print; k++ }' "$fixtures/$1.users" > "$fixtures/$3.users"; }
last_user() { grep -v '^#' "$fixtures/$1.users" | tail -n 1; }

printf 'authorization {\n  token: "bench-token-0123456789"\n}\n' > "$fixtures/token.conf"
printf 'authorization {\n  user: "bench"\n  password: "bench-pass-0123456789"\n}\n' \
  > "$fixtures/user.conf"
echo "generating auth fixtures (bcrypt users take a while)..." >&2
gen_users users100 100
gen_users b11d "$b11_users" 11
head_users b11d 10 b11s
if [[ $mode == full ]]; then
  gen_users b4d "$b4_users" 4
  head_users b4d 10 b4s
  gen_users b10d 128 10
  head_users b10d 10 b10s
fi
read -r rr_user rr_pass <<< "$(last_user b11d)"
echo "  fixtures ready ($(($(date +%s) - start_time)) s)" >&2

# name | ringnats-bench arguments | metrics for the table (first = headline) | config
f=$fixtures
token="--token bench-token-0123456789"
user="--user bench --pass bench-pass-0123456789"
cases=(
  "pub-16B|pub --size 16 --duration $dur|msgs_per_sec server_cpu_ns_per_op|"
  "pubsub-16B|pubsub --size 16 --duration $dur|msgs_per_sec server_cpu_ns_per_op|"
  "fanout-16Bx8|fanout --size 16 --subs 8 --duration $dur|msgs_per_sec server_cpu_ns_per_op|"
  "many-subjects-10k|many-subjects --size 16 --subjects 10000 --duration $dur|msgs_per_sec server_cpu_ns_per_op subs_per_sec|"
  "reqrep|reqrep --size 64 --duration $dur|lat_p50_us lat_p90_us lat_p99_us lat_p999_us lat_max_us reqs_per_sec server_cpu_ns_per_op|"
  "reqrep-b11-2k/s|reqrep --size 64 --rate 2000 --duration $dur --user $rr_user --pass $rr_pass|lat_p50_us lat_p90_us lat_p99_us lat_p999_us lat_max_us|$f/b11d.conf"
  "storm-b11-c8-2k/s|storm --size 64 --rate 2000 --duration $dur --concurrency 8 --users-file $f/b11d.users|lat_p50_us lat_p90_us lat_p99_us lat_p999_us lat_max_us storm_connects_per_sec storm_connect_p50_us|$f/b11d.conf"
  "connect-none|connect --duration $conn_dur --concurrency 16|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|"
  "connect-token|connect --duration $conn_dur --concurrency 16 $token|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/token.conf"
  "connect-user|connect --duration $conn_dur --concurrency 16 $user|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/user.conf"
  "connect-100users|connect --duration $conn_dur --concurrency 16 --users-file $f/users100.users|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/users100.conf"
  "connect-b11-distinct|connect --duration $dur --concurrency 8 --users-file $f/b11d.users|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b11d.conf"
  "connect-b11-shared10|connect --duration $dur --concurrency 8 --users-file $f/b11s.users --prime|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b11d.conf"
  "idle-user|idle --conns $idle_conns --concurrency 32 --settle 1 $user|rss_kb_per_10k_conns idle_server_cpu_pct connects_per_sec|$f/user.conf"
)
if [[ $mode == full ]]; then
  cases+=(
    "pub-1KiB|pub --size 1024 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op|"
    "queue-16Bx4|queue --size 16 --subs 4 --duration $dur|msgs_per_sec server_cpu_ns_per_op|"
    "reqrep-2k/s|reqrep --size 64 --rate 2000 --duration $dur|lat_p50_us lat_p99_us lat_p999_us server_cpu_ns_per_op|"
    "connect-b4-distinct|connect --duration $conn_dur --concurrency 8 --users-file $f/b4d.users|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b4d.conf"
    "connect-b4-shared10|connect --duration $conn_dur --concurrency 8 --users-file $f/b4s.users --prime|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b4d.conf"
    "connect-b10-distinct|connect --duration $dur --concurrency 8 --users-file $f/b10d.users|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b10d.conf"
    "connect-b10-shared10|connect --duration $dur --concurrency 8 --users-file $f/b10s.users --prime|connects_per_sec server_cpu_ns_per_op connect_p50_us connect_p99_us|$f/b10d.conf"
  )
fi
if [[ -n ${ONLY:-} ]]; then
  filtered=()
  for c in "${cases[@]}"; do
    if grep -qE -- "$ONLY" <<< "${c%%|*}"; then filtered+=("$c"); fi
  done
  cases=("${filtered[@]}")
fi

# run_case NAME ARGS CONFIG SERVER ROUND
run_case() {
  local name=$1 args=$2 config=$3 server=$4 round=$5 out rc
  local config_args=()
  [[ -n $config ]] && config_args=(-c "$config")
  start_server "$server" "$work/logs/${name//\//_}.$server.r$round" "${config_args[@]}"
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

echo "ringnats vs nats-server, $mode mode: $rounds rounds, ringnats --workers $RINGNATS_WORKERS," \
  "bench --threads $BENCH_THREADS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The machine's own speed, once per round: a fixed single-threaded workload (SHA-256 of
# 16-byte blocks for 1 s). Its spread over the rounds is the floor for any broker's spread:
# on a shared VM both brokers' runs move with it.
machine_control() { # ROUND
  local kbps
  kbps=$(openssl speed -seconds 1 -bytes 16 sha256 2> /dev/null |
    awk '/^sha256/ { sub(/k$/, "", $2); print $2 }') || kbps=""
  [[ -n $kbps ]] || return 0
  jq -nc --argjson r "$1" --argjson v "$kbps" \
    '{case: "machine", server: "control", round: $r, sha256_16B_kbytes_per_sec: $v, ok: true}' >> "$results"
}

for round in $(seq "$rounds"); do
  machine_control "$round"
  # Alternate which broker goes first so drift in machine load hits both alike.
  if ((round % 2)); then order=(ringnats nats-server); else order=(nats-server ringnats); fi
  for c in "${cases[@]}"; do
    IFS='|' read -r name args _ config <<< "$c"
    for server in "${order[@]}"; do
      run_case "$name" "$args" "$config" "$server" "$round"
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

# round_ratios CASE METRIC: "min max" of ringnats / nats-server within each round (or "- -").
# A round's two runs are back to back, so their ratio moves less with the machine than either.
round_ratios() {
  jq -rs --arg c "$1" --arg m "$2" '
    [.[] | select(.case == $c and (.[$m] | type) == "number")] | group_by(.round)
    | map((map(select(.server == "ringnats")) | .[0][$m]) as $a
          | (map(select(.server == "nats-server")) | .[0][$m]) as $b
          | select($a != null and $b != null and $b != 0) | $a / $b) | sort
    | if length == 0 then "- -" else "\(.[0]) \(.[-1])" end' "$results"
}

# spread_pct MEDIAN MIN MAX: (max - min) / median in percent.
spread_pct() {
  awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN { if (m == "-" || m + 0 == 0) print "-";
    else printf "%.0f%%", 100 * (hi - lo) / (m < 0 ? -m : m) }'
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

printf 'case\tmetric\tringnats\tnats_server\tratio\tok_ringnats\tok_nats_server\tringnats_min\tringnats_max\tnats_server_min\tnats_server_max\tround_ratio_min\tround_ratio_max\n' \
  > "$summary"
echo
printf '%-22s %-24s %12s %12s %8s %7s %7s %9s %9s %11s\n' case metric ringnats nats-server ratio \
  "ok(rn)" "ok(ns)" "spread-rn" "spread-ns" "round-ratio"
printf '%s\n' "$(printf '%.0s-' $(seq 130))"
for c in "${cases[@]}"; do
  IFS='|' read -r name _ metrics _ <<< "$c"
  ok_rn=$(ok_runs "$name" ringnats)
  ok_ns=$(ok_runs "$name" nats-server)
  first=1
  for m in $metrics; do
    read -r a a_min a_max <<< "$(stats_of "$name" ringnats "$m")"
    read -r b b_min b_max <<< "$(stats_of "$name" nats-server "$m")"
    read -r r_min r_max <<< "$(round_ratios "$name" "$m")"
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
      else printf "%.2f", a / b }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$m" "$a" "$b" "$ratio" \
      "$ok_rn" "$ok_ns" "$a_min" "$a_max" "$b_min" "$b_max" "$r_min" "$r_max" >> "$summary"
    range=$(awk -v lo="$r_min" -v hi="$r_max" 'BEGIN { if (lo == "-") print "-";
      else printf "%.2f-%.2f", lo, hi }')
    if ((first)); then
      printf '%-22s %-24s %12s %12s %8s %7s %7s %9s %9s %11s\n' "$name" "$m" "$(fmt "$a")" \
        "$(fmt "$b")" "$ratio" "$ok_rn" "$ok_ns" "$(spread_pct "$a" "$a_min" "$a_max")" \
        "$(spread_pct "$b" "$b_min" "$b_max")" "$range"
    else
      printf '%-22s %-24s %12s %12s %8s %7s %7s %9s %9s %11s\n' "" "$m" "$(fmt "$a")" \
        "$(fmt "$b")" "$ratio" "" "" "$(spread_pct "$a" "$a_min" "$a_max")" \
        "$(spread_pct "$b" "$b_min" "$b_max")" "$range"
    fi
    first=0
  done
done
read -r mc mc_min mc_max <<< "$(stats_of machine control sha256_16B_kbytes_per_sec)"
printf '%-22s %-24s %12s %12s %8s %7s %7s %9s\n' machine "sha256 16 B (kB/s)" "$(fmt "$mc")" "" "" \
  "" "" "$(spread_pct "$mc" "$mc_min" "$mc_max")"
echo
echo "medians of $rounds runs each; ratio = ringnats / nats-server (throughput: higher is better;" \
  "latency, CPU per op and RSS: lower is better). ok = runs whose counts verified." \
  "spread = (max - min) / median of a broker's runs; round-ratio = the lowest and highest" \
  "ratio of the two runs of one round; machine = openssl speed sha256 (one thread, 1 s) once per" \
  "round, the machine's own spread. Total $(($(date +%s) - start_time)) s."

# The pub, pub->sub and request/reply shapes again through the real nats.go client.
if [[ ${GO_SHAPES:-1} != 0 ]] && command -v go > /dev/null; then
  echo
  RINGNATS_BIN=$RINGNATS_BIN NATS_SERVER_BIN=$NATS_SERVER_BIN ROUNDS=$rounds \
    RINGNATS_WORKERS=$RINGNATS_WORKERS KEEP_DIR=${KEEP_DIR:+$KEEP_DIR/go} \
    bench/go_compare.sh "--$mode" || echo "compare.sh: bench/go_compare.sh failed" >&2
fi
