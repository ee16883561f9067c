#!/usr/bin/env bash
# Request/reply latency of unrelated clients while /connz is built over many connections
# (issue 10, item 3: "a /connz with 50,000 connections must not raise request/reply p99 of
# unrelated clients by more than 2x while it is being built"), ringnats and nats-server side
# by side on the same machine in the same run.
#
#   bench/connz_load.sh [--quick|--full]
#
# Builds nothing; a bench, not a test (nothing registers it with meson or CI). For each
# round and broker (alternating A B / B A): a fresh broker with `-m -1` on free ports, CONNS
# idle connections opened by `ringnats-bench idle` holders (each from its own 127.0.1.x
# source address, so no source runs out of ephemeral ports), and once /varz counts them all,
# `ringnats-bench reqrep --rate RATE` for DURATION seconds in each phase:
#   quiet          nothing else runs
#   connz-default  one curl GETs /connz back to back (default limit 1024: still every
#                  connection is counted)
#   connz-all      one curl GETs /connz?limit=CONNS back to back (every connection rendered)
# The phase order rotates from round to round. The table shows per-phase medians over the
# rounds, each phase's p99 against the same broker's quiet p99 (the target: at most 2x), the
# broker CPU one GET cost, and ringnats / nats-server; below it every run's p99 against its
# own round's quiet p99. A faster /connz means more GETs in the same phase, so compare the
# CPU per GET too, not only the p99.
#
# Open files: the broker needs CONNS descriptors and so do the holders; the script raises
# `ulimit -n` to 200000 (or the hard limit, if it may not). When the limit is too low for
# CONNS the count is lowered to fit and the output says so on every line that matters.
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   BENCH_BIN         [build-release/bench/load/ringnats-bench]
#   RINGNATS_WORKERS  [2]      ringnats --workers
#   CONNS             [50000]  idle connections
#   RATE              [2000]   requests per second on a fixed schedule (latency measured from
#                              the intended send time, so a stall shows in the tail)
#   DURATION          [5 quick, 10 full]  seconds per phase
#   ROUNDS            [2 quick, 3 full]
#   PHASES            ["quiet connz-default connz-all"]
#   SERVERS           ["ringnats nats-server"]
#   KEEP_DIR          keep raw results (results.jsonl, scrapes/, logs/) in this directory
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"
CONNS=${CONNS:-50000}
RATE=${RATE:-2000}
PHASES=${PHASES:-quiet connz-default connz-all}
SERVERS=${SERVERS:-ringnats nats-server}
if [[ $mode == quick ]]; then
  rounds=${ROUNDS:-2}
  dur=${DURATION:-5}
else
  rounds=${ROUNDS:-3}
  dur=${DURATION:-10}
fi

[[ -x $BENCH_BIN ]] ||
  { echo "connz_load.sh: $BENCH_BIN is missing (build it, or set BENCH_BIN)" >&2; exit 2; }
for s in $SERVERS; do
  case $s in
    ringnats) bin=$RINGNATS_BIN ;;
    nats-server) bin=$NATS_SERVER_BIN ;;
    *) echo "connz_load.sh: unknown server $s" >&2; exit 2 ;;
  esac
  [[ -x $bin ]] || { echo "connz_load.sh: $bin is missing (build it, or set the env var)" >&2; exit 2; }
done
for tool in jq curl; do
  command -v $tool > /dev/null || { echo "connz_load.sh: needs $tool" >&2; exit 2; }
done

# --- descriptors -----------------------------------------------------------------------------
ulimit -n 200000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)
requested=$CONNS
# The broker holds every connection plus its listeners, monitoring clients and files.
if ((CONNS > fd_limit - 300)); then
  CONNS=$((fd_limit - 300))
fi
capped=""
if ((CONNS < requested)); then
  capped=" (CAPPED: $requested requested, open-file limit $fd_limit; raising the hard limit needs CAP_SYS_RESOURCE)"
  echo "connz_load.sh: WARNING: only $CONNS connections fit under the open-file limit $fd_limit" >&2
fi
# Holders: each one stays under the open-file limit and under one source address's ~28k
# ephemeral ports.
per_holder=$((fd_limit - 200 < 25000 ? fd_limit - 200 : 25000))
holders=$(((CONNS + per_holder - 1) / per_holder))

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-connz.XXXXXX")
results="$work/results.jsonl"
: > "$results"
mkdir -p "$work/scrapes" "$work/logs"
server_pid=""
holder_pids=()
scrape_pid=""

stop_pid() { # PID SIGNAL: signal it, wait up to 5 s, then SIGKILL
  local pid=$1 sig=$2
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2> /dev/null; then
    kill "-$sig" "$pid" 2> /dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}

stop_all() {
  [[ -z $scrape_pid ]] || stop_scrapes
  for pid in "${holder_pids[@]}"; do stop_pid "$pid" TERM; done
  holder_pids=()
  stop_pid "$server_pid" INT
  server_pid=""
}

cleanup() {
  stop_all
  if [[ -n ${KEEP_DIR:-} ]]; then
    mkdir -p "$KEEP_DIR" && cp -r "$work"/. "$KEEP_DIR"/ && echo "raw results in $KEEP_DIR" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_time=$(date +%s)

varz_connections() {
  curl -s --max-time 30 "http://127.0.0.1:$mon_port/varz" | jq -r '.connections // 0' 2> /dev/null ||
    echo 0
}

# open_idle LOGDIR: CONNS idle connections from the holders; waits until /varz counts them.
open_idle() {
  local dir=$1 left=$CONNS i=0 n
  holder_pids=()
  while ((left > 0)); do
    n=$((left < per_holder ? left : per_holder))
    "$BENCH_BIN" idle --url "$nats_url" --conns "$n" --concurrency 64 --threads 1 \
      --settle 0 --hold 3600 --source-ip "127.0.1.$((i + 1))" --json \
      > "$dir/holder$i.json" 2> "$dir/holder$i.err" &
    holder_pids+=($!)
    left=$((left - n))
    i=$((i + 1))
  done
  local deadline=$(($(date +%s) + 600)) have=0
  while (($(date +%s) < deadline)); do
    have=$(varz_connections)
    ((have >= CONNS)) && return 0
    for pid in "${holder_pids[@]}"; do
      if ! kill -0 "$pid" 2> /dev/null; then
        echo "connz_load.sh: a holder exited with $have of $CONNS connections open:" >&2
        cat "$dir"/holder*.err "$dir"/holder*.json >&2
        exit 1
      fi
    done
    sleep 0.5
  done
  echo "connz_load.sh: only $have of $CONNS connections after 600 s" >&2
  exit 1
}

# start_scrapes QUERY OUT: GETs /connz?QUERY back to back until stop_scrapes; one line per
# GET: HTTP status, seconds, bytes. One curl process does every GET (keep-alive where the
# server allows it): a curl started per GET costs the 2-core machine a fork and exec each
# time, which with a fast /connz (hundreds of GETs a second) measured the shell, not the broker.
start_scrapes() {
  local url="http://127.0.0.1:$mon_port/connz$1" out=$2
  local config="$work/scrape.curlrc" gets=$((dur * 1000 > 20000 ? dur * 1000 : 20000))
  if [[ ! -s $config.$gets ]]; then
    for ((g = 0; g < gets; g++)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done \
      > "$config.$gets"
  fi
  # The URL differs per broker (its port): rewrite the list's URL.
  sed "s|^url = .*|url = \"$url\"|" "$config.$gets" > "$config"
  # -w to stderr, which curl does not buffer: stopping it must not lose the last lines.
  curl -s --max-time 120 -K "$config" \
    -w '%{stderr}%{http_code} %{time_total} %{size_download}\n' > /dev/null 2> "$out" &
  scrape_pid=$!
  # Measure from the first GET on, not before it was sent.
  for _ in $(seq 100); do
    [[ -s $out ]] && break
    sleep 0.05
  done
}

stop_scrapes() {
  kill "$scrape_pid" 2> /dev/null || true
  wait "$scrape_pid" 2> /dev/null || true
  scrape_pid=""
}

# scrape_stats FILE: {"scrapes":N,"scrapes_not_200":N,"scrape_p50_s":x,"scrape_max_s":x,"scrape_mb":x}
scrape_stats() {
  # The GET under way when curl was stopped may have left half a line.
  jq -Rn '[inputs | select(test("^[0-9]{3} [0-9.]+ [0-9]+$")) | split(" ") | {code: .[0], s: (.[1] | tonumber), b: (.[2] | tonumber)}]
    | (map(.s) | sort) as $t
    | {scrapes: length, scrapes_not_200: (map(select(.code != "200")) | length),
       scrape_p50_s: (if length > 0 then $t[(length - 1) / 2 | floor] else null end),
       scrape_max_s: (if length > 0 then $t[-1] else null end),
       scrape_mb: (if length > 0 then (map(.b) | add / length / 1e6) else null end)}' "$1"
}

# run_round SERVER ROUND
run_round() {
  local server=$1 round=$2 phase out rc extra t0
  local dir="$work/logs/$server.r$round"
  start_server "$server" "$dir" -m -1
  nats_url=$server_url
  mon_port=$(grep -o '"monitoring":\["http://[^"]*' "$server_ports" | sed 's|.*:||')
  t0=$(date +%s)
  open_idle "$dir"
  local connz_total
  connz_total=$(curl -s --max-time 60 "http://127.0.0.1:$mon_port/connz?limit=1" | jq -r '.total')
  echo "  $server round $round: $CONNS idle connections open in $(($(date +%s) - t0)) s," \
    "/connz total $connz_total, broker VmRSS $(awk '/VmRSS/ { print $2 }' /proc/$server_pid/status) KiB" >&2
  # Rotate the phase order so a drift in machine load does not always hit the same phase.
  local phases k j
  read -r -a phases <<< "$PHASES"
  k=${#phases[@]}
  for ((j = 0; j < k; j++)); do
    phase=${phases[$(((j + round - 1) % k))]}
    local scrapes="$work/scrapes/$server.r$round.$phase"
    case $phase in
      quiet) ;;
      connz-default) start_scrapes "" "$scrapes" ;;
      connz-all) start_scrapes "?limit=$CONNS" "$scrapes" ;;
      *) echo "connz_load.sh: unknown phase $phase" >&2; exit 2 ;;
    esac
    out=$(timeout $((dur * 3 + 60)) "$BENCH_BIN" reqrep --url "$nats_url" --size 64 \
      --rate "$RATE" --duration "$dur" --server-pid "$server_pid" --label "$server" --json \
      2> "$work/stderr") && rc=0 || rc=$?
    extra='{}'
    if [[ $phase != quiet ]]; then
      stop_scrapes
      extra=$(scrape_stats "$scrapes")
    fi
    if [[ -z $out ]]; then
      echo "  $phase on $server failed (exit $rc): $(head -c 300 "$work/stderr")" >&2
      out='{"ok":false}'
    fi
    jq -c --arg p "$phase" --arg s "$server" --argjson r "$round" --argjson x "$extra" \
      --argjson conns "$CONNS" --argjson total "${connz_total:-null}" \
      '. + $x + {phase: $p, server: $s, round: $r, idle_conns: $conns, connz_total: $total}' \
      <<< "$out" >> "$results"
  done
  stop_all
}

echo "request/reply under /connz with $CONNS idle connections$capped: ringnats --workers" \
  "$RINGNATS_WORKERS vs nats-server, $rounds rounds, $dur s per phase at $RATE req/s," \
  "$holders holder process(es), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
read -r -a servers <<< "$SERVERS"
for round in $(seq "$rounds"); do
  if ((round % 2)); then order=("${servers[@]}"); else
    order=()
    for ((j = ${#servers[@]} - 1; j >= 0; j--)); do order+=("${servers[$j]}"); done
  fi
  for server in "${order[@]}"; do run_round "$server" "$round"; done
  echo "  round $round/$rounds done ($(($(date +%s) - start_time)) s)" >&2
done

# --- table -------------------------------------------------------------------------------------
# Per run: the broker CPU one GET cost (its CPU over the phase minus the same round's quiet
# CPU, per GET), and the phase's p99 against the same round's quiet p99 (steadier than a
# median over rounds when the machine's load drifts between rounds).
jq -s -c '(map(select(.phase == "quiet")) | map({key: "\(.server) \(.round)", value: .})
           | from_entries) as $quiet
  | .[] | $quiet["\(.server) \(.round)"] as $q
  | if .phase != "quiet" and $q != null and (.scrapes // 0) > 0 and .server_cpu_pct != null
         and $q.server_cpu_pct != null
    then . + {scrape_cpu_ms: ((.server_cpu_pct - $q.server_cpu_pct) * 10 * '"$dur"' / .scrapes)}
    else . end
  | if .phase != "quiet" and $q != null and .lat_p99_us != null and ($q.lat_p99_us // 0) > 0
    then . + {p99_vs_round_quiet: (.lat_p99_us / $q.lat_p99_us)} else . end' \
  "$results" > "$results.tmp" && mv "$results.tmp" "$results"
median() { # PHASE SERVER METRIC
  jq -rs --arg p "$1" --arg s "$2" --arg m "$3" '
    [.[] | select(.phase == $p and .server == $s) | .[$m] | select(type == "number")] | sort
    | if length == 0 then "-"
      elif length % 2 == 1 then .[(length - 1) / 2]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$results"
}
ok_runs() {
  jq -rs --arg p "$1" --arg s "$2" \
    '[.[] | select(.phase == $p and .server == $s)] | "\([.[] | select(.ok == true)] | length)/\(length)"' \
    "$results"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() {
  if [[ $1 == - ]]; then echo -; else awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v
    if (a >= 1e4) printf "%.1fk", v / 1e3; else if (a >= 100 || v == int(v)) printf "%.0f", v;
    else printf "%.3f", v }'; fi
}

echo
printf '%-14s %-20s %12s %12s %8s\n' phase metric ringnats nats-server ratio
printf '%s\n' "$(printf '%.0s-' $(seq 70))"
metrics="lat_p50_us lat_p90_us lat_p99_us lat_p999_us lat_max_us server_cpu_pct server_runq_wait_pct"
scrape_metrics="scrapes scrapes_not_200 scrape_p50_s scrape_max_s scrape_mb scrape_cpu_ms"
summary="$work/summary.tsv"
printf 'phase\tmetric\tringnats\tnats_server\tratio\n' > "$summary"
row() { # PHASE METRIC A B
  local r
  r=$(ratio "$3" "$4")
  printf '%-14s %-20s %12s %12s %8s\n' "$1" "$2" "$(fmt "$3")" "$(fmt "$4")" "$r"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$r" >> "$summary"
}
for phase in $PHASES; do
  first=$phase
  for m in $metrics; do
    row "$first" "$m" "$(median "$phase" ringnats "$m")" "$(median "$phase" nats-server "$m")"
    first=""
  done
  if [[ $phase != quiet ]]; then
    a=$(ratio "$(median "$phase" ringnats lat_p99_us)" "$(median quiet ringnats lat_p99_us)")
    b=$(ratio "$(median "$phase" nats-server lat_p99_us)" "$(median quiet nats-server lat_p99_us)")
    row "" "p99 / quiet p99" "$a" "$b"
    for m in $scrape_metrics; do
      row "" "$m" "$(median "$phase" ringnats "$m")" "$(median "$phase" nats-server "$m")"
    done
  fi
  printf '%-14s %-20s %12s %12s\n' "" "runs ok" "$(ok_runs "$phase" ringnats)" \
    "$(ok_runs "$phase" nats-server)"
done
echo
echo "medians of $rounds rounds; latency in us at $RATE req/s; ratio = ringnats / nats-server;" \
  "scrape_* = the /connz loop's GETs during the phase (seconds, MB per answer, broker CPU ms per GET);" \
  "server_runq_wait_pct = time the broker's threads waited for a CPU (high = a loaded machine)."
for phase in $PHASES; do
  [[ $phase == quiet ]] && continue
  a=$(ratio "$(median "$phase" ringnats lat_p99_us)" "$(median quiet ringnats lat_p99_us)")
  verdict=$(awk -v a="$a" 'BEGIN { if (a == "-") print "not measured"; else if (a + 0 <= 2) print "met"; else print "NOT met" }')
  echo "target (ringnats p99 during $phase at most 2x quiet p99, $CONNS connections$capped):" \
    "$verdict ($a x)"
done
echo "every run (round: p99 / that round's quiet p99, broker CPU ms per GET):"
for phase in $PHASES; do
  [[ $phase == quiet ]] && continue
  for server in $SERVERS; do
    echo "  $phase $server: $(jq -rs --arg p "$phase" --arg s "$server" '
      [.[] | select(.phase == $p and .server == $s)] | sort_by(.round)
      | map("r\(.round): \(.p99_vs_round_quiet // "-" | if type == "number" then . * 100 | round / 100 else . end)x"
            + " \(.scrape_cpu_ms // "-" | if type == "number" then . * 10 | round / 10 else . end) ms")
      | join(", ")' "$results")"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "total $(($(date +%s) - start_time)) s"
