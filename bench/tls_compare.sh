#!/usr/bin/env bash
# ringnats against nats-server over TLS (issue 12, Performance), with ringnats-bench --tls.
#
#   bench/tls_compare.sh [--quick|--full]
#
# Builds nothing. Makes a CA and three server certificates (RSA 2048, ECDSA P-256, Ed25519;
# SAN IP:127.0.0.1) with the openssl CLI at run time, and one `tls { }` config per key type
# that BOTH brokers are started with (-c). Every run gets a freshly started broker on a free
# port, stopped right after it; the brokers alternate (A B, then B A) for ROUNDS rounds.
# Cases:
#   connect-<key>  TLS connects (plaintext INFO, full handshake, CONNECT, PING/PONG) by 8
#                  connectors: connects/s and broker CPU per connect
#   pub-16B, pub-1KiB   one publisher over TLS (ECDSA session; the bulk cipher is the same);
#                  -2pubs: two publishers (one connection is one ring thread in ringnats)
#   reqrep-idle    request/reply over TLS at a fixed 2,000 req/s (latency from the intended
#                  send time), RSA server key, nothing else running
#   reqrep-storm   the same while 8 connectors run RSA 2048 TLS handshakes back to back
# Targets: broker CPU per TLS connect <= 0.7x nats-server's; pub msgs/s >= 1.2x; ringnats'
# p99 during the storm <= 2x its own idle p99 (nats-server's shown too).
#
# Environment (defaults in brackets):
#   RINGNATS_BIN      [build-release/src/server/ringnats]
#   NATS_SERVER_BIN   [nats-server from PATH, else /usr/sbin/nats-server]
#   BENCH_BIN         [build-release/bench/load/ringnats-bench]
#   RINGNATS_WORKERS  [2]   ringnats --workers
#   BENCH_THREADS     [2]   ringnats-bench --threads
#   ROUNDS            [3 quick, 5 full]
#   ONLY              run only the cases whose name matches this grep -E pattern
#   KEEP_DIR          keep results.jsonl (one JSON line per run, with the broker's log error
#                     count, RSS at the end and the load average), summary.tsv, certs and logs
set -euo pipefail

source "$(dirname "$0")/common.sh"
bench_setup "$0" "$@"
for bin in "$RINGNATS_BIN" "$NATS_SERVER_BIN" "$BENCH_BIN"; do
  [[ -x $bin ]] || { echo "tls_compare.sh: $bin is missing (build it, or set the env var)" >&2; exit 2; }
done
for tool in jq openssl; do
  command -v $tool > /dev/null || { echo "tls_compare.sh: needs $tool" >&2; exit 2; }
done

if [[ $mode == quick ]]; then
  rounds=${ROUNDS:-3}
  dur=1
else
  rounds=${ROUNDS:-5}
  dur=3
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-tls.XXXXXX")
results="$work/results.jsonl"
summary="$work/summary.tsv"
certs="$work/certs"
mkdir -p "$certs"
: > "$results"
server_pid=""
server_url=""
start_time=$(date +%s)

bench_cleanup_on_exit

# --- certificates: a CA, and a server certificate per key type, all made now ----------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=ringnats bench CA" -keyout "$certs/ca.key" -out "$certs/ca.pem" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$certs/ext"
for key in rsa ecdsa ed25519; do
  case $key in
    rsa) newkey=(-newkey rsa:2048) ;;
    ecdsa) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    ed25519) newkey=(-newkey ed25519) ;;
  esac
  openssl req -new "${newkey[@]}" -nodes -subj "/CN=localhost" \
    -keyout "$certs/$key.key" -out "$certs/$key.csr" 2> /dev/null
  openssl x509 -req -in "$certs/$key.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" \
    -CAcreateserial -days 2 -extfile "$certs/ext" -out "$certs/$key.pem" 2> /dev/null
  # A 5 s handshake timeout for both: the machine is shared, and a timed-out handshake would
  # measure the machine, not the broker.
  printf 'tls {\n  cert_file: "%s"\n  key_file: "%s"\n  timeout: 5\n}\n' \
    "$certs/$key.pem" "$certs/$key.key" > "$certs/$key.conf"
done

# name | ringnats-bench arguments | metrics (first = headline) | key type of the server
tls="--tls --tls-ca $certs/ca.pem"
cases=(
  "connect-rsa2048|connect $tls --duration $dur --concurrency 8|server_cpu_ns_per_op connects_per_sec connect_p50_us connect_p99_us|rsa"
  "connect-ecdsa-p256|connect $tls --duration $dur --concurrency 8|server_cpu_ns_per_op connects_per_sec connect_p50_us connect_p99_us|ecdsa"
  "connect-ed25519|connect $tls --duration $dur --concurrency 8|server_cpu_ns_per_op connects_per_sec connect_p50_us connect_p99_us|ed25519"
  "pub-16B|pub $tls --size 16 --duration $dur|msgs_per_sec server_cpu_ns_per_op|ecdsa"
  "pub-1KiB|pub $tls --size 1024 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op|ecdsa"
  "pub-16B-2pubs|pub $tls --size 16 --pubs 2 --duration $dur|msgs_per_sec server_cpu_ns_per_op|ecdsa"
  "pub-1KiB-2pubs|pub $tls --size 1024 --pubs 2 --duration $dur|msgs_per_sec mb_per_sec server_cpu_ns_per_op|ecdsa"
  "reqrep-idle|reqrep $tls --size 64 --rate 2000 --duration $dur|lat_p99_us lat_p50_us lat_p999_us lat_max_us|rsa"
  "reqrep-storm|storm $tls --size 64 --rate 2000 --duration $dur --concurrency 8|lat_p99_us lat_p50_us lat_p999_us lat_max_us storm_connects_per_sec storm_connect_p99_us|rsa"
)
if [[ -n ${ONLY:-} ]]; then
  filtered=()
  for c in "${cases[@]}"; do
    if grep -qE -- "$ONLY" <<< "${c%%|*}"; then filtered+=("$c"); fi
  done
  cases=("${filtered[@]}")
fi

# run_case NAME ARGS KEY SERVER ROUND
run_case() {
  local name=$1 args=$2 key=$3 server=$4 round=$5 out rc dir rss errs
  dir="$work/logs/$name.$server.r$round"
  start_server "$server" "$dir" -c "$certs/$key.conf"
  # shellcheck disable=SC2086 # args is a word list on purpose
  out=$(timeout 300 "$BENCH_BIN" $args --url "$server_url" --server-pid "$server_pid" \
    --threads "$BENCH_THREADS" --label "$server" --json 2> "$work/stderr") && rc=0 || rc=$?
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status" 2> /dev/null || echo 0)
  stop_server "$server_pid"
  server_pid=""
  errs=$(grep -c '\[ERR\]' "$dir/log" || true)
  if [[ -z $out ]]; then
    echo "  $name on $server failed (exit $rc): $(head -c 300 "$work/stderr")" >&2
    out='{"ok":false}'
  fi
  jq -c --arg c "$name" --arg s "$server" --argjson r "$round" --argjson rss "${rss:-0}" \
    --argjson e "$errs" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
    '. + {case: $c, server: $s, round: $r, rss_end_kb: $rss, log_errors: $e,
          loadavg_1m: ($load | tonumber)}' <<< "$out" >> "$results"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "ringnats vs nats-server over TLS, $mode mode: $rounds rounds of ${dur} s runs," \
  "ringnats --workers $RINGNATS_WORKERS, bench --threads $BENCH_THREADS, $(nproc) cores," \
  "load average $load_start"
for round in $(seq "$rounds"); do
  if ((round % 2)); then order=(ringnats nats-server); else order=(nats-server ringnats); fi
  for c in "${cases[@]}"; do
    IFS='|' read -r name args _ key <<< "$c"
    for server in "${order[@]}"; do
      run_case "$name" "$args" "$key" "$server" "$round"
    done
  done
  echo "  round $round/$rounds done ($(($(date +%s) - start_time)) s," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
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
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
    else printf "%.2f", a / b }'
}

printf 'case\tmetric\tringnats\tnats_server\tratio\tok_ringnats\tok_nats_server\tringnats_min\tringnats_max\tnats_server_min\tnats_server_max\n' \
  > "$summary"
echo
printf '%-19s %-22s %22s %22s %6s %5s %5s\n' case metric "ringnats (min-max)" \
  "nats-server (min-max)" ratio "ok:rn" "ok:ns"
printf '%s\n' "$(printf '%.0s-' $(seq 108))"
for c in "${cases[@]}"; do
  IFS='|' read -r name _ metrics _ <<< "$c"
  ok_rn=$(ok_runs "$name" ringnats)
  ok_ns=$(ok_runs "$name" nats-server)
  first=1
  for m in $metrics; do
    read -r a a_min a_max <<< "$(stats_of "$name" ringnats "$m")"
    read -r b b_min b_max <<< "$(stats_of "$name" nats-server "$m")"
    r=$(ratio "$a" "$b")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$m" "$a" "$b" "$r" \
      "$ok_rn" "$ok_ns" "$a_min" "$a_max" "$b_min" "$b_max" >> "$summary"
    cell_a="$(fmt "$a") ($(fmt "$a_min")-$(fmt "$a_max"))"
    cell_b="$(fmt "$b") ($(fmt "$b_min")-$(fmt "$b_max"))"
    if ((first)); then
      printf '%-19s %-22s %22s %22s %6s %5s %5s\n' "$name" "$m" "$cell_a" "$cell_b" "$r" \
        "$ok_rn" "$ok_ns"
    else
      printf '%-19s %-22s %22s %22s %6s\n' "" "$m" "$cell_a" "$cell_b" "$r"
    fi
    first=0
  done
done

# Targets. A ratio is of medians; the storm verdict also gives the per-round ratios (storm p99
# over the idle p99 of the same round and broker) so one noisy round is visible.
median_of() { read -r m _ _ <<< "$(stats_of "$1" "$2" "$3")"; echo "$m"; }
per_round() {
  jq -rs --arg s "$1" '
    [.[] | select(.server == $s)] as $all
    | [$all[] | select(.case == "reqrep-storm") | .round] | unique | map(. as $r
      | ([$all[] | select(.case == "reqrep-storm" and .round == $r) | .lat_p99_us][0]) as $st
      | ([$all[] | select(.case == "reqrep-idle" and .round == $r) | .lat_p99_us][0]) as $id
      | if $st and $id and $id > 0 then ($st / $id * 100 | round / 100 | tostring) else "-" end)
    | join(" ")' "$results"
}
verdict() { # VALUE OP LIMIT
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "-") { print "n/a"; exit }
    ok = (op == "<=") ? v <= l : v >= l; print (ok ? "MET" : "NOT MET") }'
}
echo
echo "targets (ratios of medians):"
for key in rsa2048 ecdsa-p256 ed25519; do
  r=$(ratio "$(median_of "connect-$key" ringnats server_cpu_ns_per_op)" \
    "$(median_of "connect-$key" nats-server server_cpu_ns_per_op)")
  printf '  %-44s %6s  (<= 0.70) %s\n' "broker CPU per TLS connect, $key" "$r" "$(verdict "$r" '<=' 0.7)"
done
for size in 16B 1KiB 16B-2pubs 1KiB-2pubs; do
  r=$(ratio "$(median_of "pub-$size" ringnats msgs_per_sec)" "$(median_of "pub-$size" nats-server msgs_per_sec)")
  printf '  %-44s %6s  (>= 1.20) %s\n' "pub $size over TLS, msgs/s" "$r" "$(verdict "$r" '>=' 1.2)"
done
for server in ringnats nats-server; do
  r=$(ratio "$(median_of reqrep-storm "$server" lat_p99_us)" "$(median_of reqrep-idle "$server" lat_p99_us)")
  v=$(verdict "$r" '<=' 2)
  [[ $server == nats-server ]] && v="(shown only)"
  printf '  %-44s %6s  (<= 2.00) %s  per round: %s\n' "$server p99 in RSA storm / own idle p99" \
    "$r" "$v" "$(per_round "$server")"
done
errs=$(jq -rs '[.[] | select(.server == "ringnats") | .log_errors] | add // 0' "$results")
rss=$(jq -rs '[.[] | select(.server == "ringnats") | .rss_end_kb] | max // 0' "$results")
echo
echo "ringnats: $errs [ERR] log lines over all runs, largest RSS at the end of a run ${rss} KiB;" \
  "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
echo "medians of $rounds runs each (min-max of the runs in brackets); ratio = ringnats /" \
  "nats-server. ok = runs that verified. Total $(($(date +%s) - start_time)) s."
