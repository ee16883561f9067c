#!/usr/bin/env bash
# How cost grows with load (issue 13, Scaling curves): ringnats and nats-server side by side
# over a sweep of one parameter at a time, with ringnats-bench.
#
#   bench/scaling.sh [--quick|--full]
#
# Curves (x: what is swept; y: msgs/s and broker CPU per message, or RSS and connects/s):
#   payload      pub->sub, one subject, payload 0 B .. 64 KiB
#   fanout       1 publisher -> N subscriber connections on one subject, N = 1 .. 10,000
#   subjects     N subscriber connections, each on its own subjects (many-subjects: 10
#                subjects per connection), publishes spread over them, N = 1 .. 10,000
#   subscriptions, subscriptions-literal
#                N subscriptions (`bench.<i>.*`, or `bench.<i>.x`) over 10 connections,
#                publishes spread over them: the match cost (msgs/s, CPU per message) and
#                the broker's RSS with them in place, N = 1,000 .. 1,000,000
#   requesters   N requesters, one responder, each requester one request out at a time:
#                p99 latency and requests/s, N = 1 .. 1,000
#   connections  N idle connections held open: broker RSS per 10k and connects/s,
#                N = 1,000 .. 19,000 (the fd limit here is 20,000)
# The trie alone (match cost against subscriptions without a broker around it) is a
# micro-benchmark, bench/micro/trie_bench (bench/RESULTS.md).
# Every point runs each broker ROUNDS times, alternating, on a freshly started broker; the
# median is plotted with the min-max as an error bar.
# Writes bench/plots/data/scaling-<curve>.dat, bench/plots/scaling-<curve>.svg (gnuplot)
# and bench/RESULTS-scaling.md (the tables; the reading of where the curves bend is written
# by hand below them and kept across re-runs).
#
# Environment (defaults in brackets):
#   RINGNATS_BIN, NATS_SERVER_BIN, BENCH_BIN, RINGNATS_WORKERS [2], BENCH_THREADS [2]
#   ROUNDS     [3 quick, 5 full]
#   DURATION   [1 quick, 3 full]  seconds per traffic run
#   ONLY       run only the curves whose name matches this grep -E pattern
#   KEEP_DIR   keep the raw JSON lines (results.jsonl) and broker logs
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"
if [[ $mode == full ]]; then
  rounds=${ROUNDS:-5}
  dur=${DURATION:-3}
else
  rounds=${ROUNDS:-3}
  dur=${DURATION:-1}
fi
for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN" "$BENCH_BIN"; do
  [[ -x $bin ]] || { echo "scaling.sh: $bin is missing (build it first)" >&2; exit 2; }
done
command -v jq > /dev/null || { echo "scaling.sh: needs jq" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-scaling.XXXXXX")
server_pid=""
bench_cleanup_on_exit
results=$work/results.jsonl
: > "$results"

# curve | x values | ringnats-bench arguments with X for the x value | y metric | second metric
curves=(
  "payload|0 16 128 1024 8192 65536|pubsub --size X --duration $dur|msgs_per_sec|server_cpu_ns_per_op"
  "fanout|1 10 100 1000 3000 10000|fanout --size 16 --subs X --duration $dur|msgs_per_sec|server_cpu_ns_per_op"
  "subjects|1 10 100 1000 10000|many-subjects --size 16 --subs X --subjects X0 --wildcard-subs 0 --duration $dur|msgs_per_sec|server_cpu_ns_per_op"
  "subscriptions|1000 10000 100000 1000000|many-subjects --size 16 --subs 10 --subjects X --wildcard-subs 0 --duration $dur|msgs_per_sec|server_rss_kb"
  "subscriptions-literal|1000 10000 100000 1000000|many-subjects --size 16 --subs 10 --subjects X --wildcard-subs 0 --literal-subjects --duration $dur|msgs_per_sec|server_rss_kb"
  "requesters|1 10 100 1000|reqrep --size 16 --requesters X --duration $dur|lat_p99_us|reqs_per_sec"
  "connections|1000 4000 8000 16000 19000|idle --conns X --concurrency 32 --settle 1|rss_kb_per_10k_conns|connects_per_sec"
)

run_point() {
  local curve=$1 x=$2 args=$3 server=$4 round=$5 dir out
  dir=$work/logs/$curve.$x.$server.r$round
  start_server "$server" "$dir"
  # shellcheck disable=SC2086 # $args is a word list
  if out=$(timeout 300 "$BENCH_BIN" ${args//X/$x} --url "$server_url" --server-pid "$server_pid" \
    --threads "$BENCH_THREADS" --label "$server" --json 2> "$dir/stderr"); then
    jq -c --arg c "$curve" --arg s "$server" --argjson x "$x" --argjson r "$round" \
      '. + {curve: $c, server: $s, x: $x, round: $r}' <<< "$out" >> "$results"
  else
    echo "  $curve x=$x $server round $round failed: $(tail -1 "$dir/stderr")" >&2
  fi
  stop_server "$server_pid"
  server_pid=""
}

# median, min and max of metric M for curve C, server S, point X: "med min max" or "- - -".
stats() {
  jq -rs --arg c "$1" --arg s "$2" --argjson x "$3" --arg m "$4" '
    [.[] | select(.curve == $c and .server == $s and .x == $x) | .[$m] | numbers] | sort |
    if length == 0 then "-\t-\t-"
    else "\(.[(length - 1) / 2 | floor])\t\(.[0])\t\(.[-1])" end' "$results"
}

started=$(date +%s)
mkdir -p bench/plots/data
md=bench/RESULTS-scaling.md
# The hand-written reading at the end ("## Where the curves bend" on) survives a re-run.
notes=$work/notes.md
: > "$notes"
[[ -f $md ]] && sed -n '/^## Where the curves bend/,$p' "$md" > "$notes"
{
  echo "# Scaling curves: ringnats vs nats-server 2.9.10"
  echo
  echo "\`bench/scaling.sh --$mode\`: $rounds alternating rounds per point, ${dur} s traffic runs,"
  echo "ringnats \`--workers $RINGNATS_WORKERS\`, ringnats-bench \`--threads $BENCH_THREADS\`, $(nproc) cores,"
  echo "$(date -u '+%F %T UTC'), load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Medians with min-max; ratio = ringnats / nats-server."
} > "$md"

for entry in "${curves[@]}"; do
  IFS='|' read -r curve xs args metric second <<< "$entry"
  if [[ -n ${ONLY:-} ]] && ! grep -qE -- "$ONLY" <<< "$curve"; then continue; fi
  echo "== $curve" >&2
  for x in $xs; do
    for round in $(seq "$rounds"); do
      if ((round % 2)); then order="ringnats nats-server"; else order="nats-server ringnats"; fi
      for server in $order; do run_point "$curve" "$x" "$args" "$server" "$round"; done
    done
  done
  dat=bench/plots/data/scaling-$curve.dat
  {
    printf '# x\trn_%s\trn_min\trn_max\tns_%s\tns_min\tns_max\trn_%s\tns_%s\n' \
      "$metric" "$metric" "$second" "$second"
    for x in $xs; do
      rn=$(stats "$curve" ringnats "$x" "$metric")
      ns=$(stats "$curve" nats-server "$x" "$metric")
      rn2=$(stats "$curve" ringnats "$x" "$second" | cut -f1)
      ns2=$(stats "$curve" nats-server "$x" "$second" | cut -f1)
      printf '%s\t%s\t%s\t%s\t%s\n' "$x" "$rn" "$ns" "$rn2" "$ns2"
    done
  } > "$dat"
  {
    echo
    echo "## $curve: ringnats-bench ${args//X/<x>}"
    echo
    echo "| x | ringnats $metric | nats-server $metric | ratio | ringnats $second | nats-server $second | ratio |"
    echo "|---|---|---|---|---|---|---|"
    awk -F'\t' '
      function h(v) {
        if (v == "-") return "-";
        if (v >= 1e6) return sprintf("%.2fM", v / 1e6);
        if (v >= 1e4) return sprintf("%.1fk", v / 1e3);
        return sprintf("%.0f", v);
      }
      NR > 1 {
        r1 = ($2 != "-" && $5 != "-" && $5 > 0) ? sprintf("%.2f", $2 / $5) : "-";
        r2 = ($8 != "-" && $9 != "-" && $9 > 0) ? sprintf("%.2f", $8 / $9) : "-";
        printf "| %s | %s (%s-%s) | %s (%s-%s) | %s | %s | %s | %s |\n",
          $1, h($2), h($3), h($4), h($5), h($6), h($7), r1, h($8), h($9), r2 }' "$dat"
  } >> "$md"
  if command -v gnuplot > /dev/null; then
    (cd bench/plots && gnuplot -e "fmt='svg'; out='scaling-$curve'; curve='$curve'; \
      ylabel='$metric'; y2label='$second'" scaling.gp)
  fi
done
echo >> "$md"
echo "Total $(($(date +%s) - started)) s." >> "$md"
if [[ -s $notes ]]; then
  echo >> "$md"
  cat "$notes" >> "$md"
fi
echo "wrote $md and bench/plots/scaling-*.svg" >&2
