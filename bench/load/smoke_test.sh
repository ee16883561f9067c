#!/usr/bin/env bash
# End-to-end smoke test: every ringnats-bench scenario against a fresh ringnats, small and
# count-bounded; each run must verify (exit 0: no loss, no duplicates, order kept, handshakes
# all accepted), then the TLS paths (--tls) against the same broker with a `tls { }` block
# and a certificate made here with the openssl CLI.  Usage: smoke_test.sh RINGNATS_BIN BENCH_BIN
set -euo pipefail
broker=$1
bench=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-bench-smoke.XXXXXX")
pid=""
cleanup() {
  if [[ -n $pid ]]; then
    kill -INT "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

start_broker() { # [ringnats flags...]
  "$broker" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" --workers 2 "$@" > "$dir/log" 2>&1 &
  pid=$!
  ports="$dir/$(basename "$broker")_$pid.ports"
  # The broker writes the ports file once it listens; give it up to 10 s.
  for _ in $(seq 200); do
    [[ -s $ports ]] && break
    kill -0 "$pid" 2> /dev/null || { cat "$dir/log"; exit 1; }
    sleep 0.05
  done
  [[ -s $ports ]] || { echo "no ports file"; cat "$dir/log"; exit 1; }
  url=$(sed -n 's|.*"[a-z]*://\([^"]*\)".*|\1|p' "$ports")
}
start_broker

run() {
  echo "== ringnats-bench $*"
  "$bench" "$@" --url "$url" --server-pid "$pid" --drain-timeout 20
}
run pub --msgs 100000 --size 32 --pubs 2
run pubsub --msgs 50000 --size 64 --pubs 2 --subs 2
run pubsub --msgs 20000 --size 0
run fanout --msgs 20000 --size 128 --subs 4
run fanout --msgs 200 --size 65536 --subs 2
run queue --msgs 50000 --size 16 --pubs 2 --subs 3
run many-subjects --msgs 20000 --subjects 2000 --subs 2 --wildcard-subs 1
run reqrep --msgs 500 --size 64
run reqrep --msgs 500 --size 64 --rate 5000
run reqrep --msgs 500 --size 64 --requesters 7
run many-subjects --msgs 2000 --subjects 500 --subs 3 --wildcard-subs 0 --literal-subjects
run connect --conns 300 --concurrency 8
run connect --duration 0.3 --concurrency 8 --prime
run storm --msgs 500 --size 64 --rate 2000 --concurrency 4 --storm-ramp 0.1
run idle --conns 300 --settle 0 --json

kill -INT "$pid"
wait "$pid" 2> /dev/null || true
pid=""
if ! command -v openssl > /dev/null; then
  echo "== no openssl CLI: TLS runs skipped"
  exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=smoke \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null
start_broker --tls --tlscert "$dir/cert.pem" --tlskey "$dir/key.pem"
tls=(--tls --tls-ca "$dir/cert.pem")
run pubsub --msgs 50000 --size 64 --pubs 2 --subs 2 "${tls[@]}"
run fanout --msgs 200 --size 65536 --subs 2 "${tls[@]}"
run reqrep --msgs 500 --size 64 "${tls[@]}"
run connect --conns 100 --concurrency 8 "${tls[@]}"
run storm --msgs 300 --size 64 --rate 2000 --concurrency 4 --storm-ramp 0.1 "${tls[@]}"
run idle --conns 100 --settle 0 --json "${tls[@]}"
# Without --tls the handshake fails cleanly on the client side.
if "$bench" connect --conns 2 --url "$url" --timeout 2 > /dev/null; then
  echo "a plaintext connect to a TLS port was accepted"
  exit 1
fi
