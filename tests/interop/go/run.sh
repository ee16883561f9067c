#!/usr/bin/env bash
# The nats.go client (Debian's golang-github-nats-io-go-nats-dev) in the shapes of `nats bench`
# against the server named by RINGNATS_SERVER (+ RINGNATS_SERVER_ARGS): one publisher as fast
# as nc.Publish goes and one async subscriber on its own connection must get every message,
# 16 B and 1 KiB, with nats.go's default pending limits, and neither connection may be closed
# by the server (no slow consumer); request/reply must answer every request.
#
#   run.sh BUILD_DIR   (natsbench is built there, from bench/go/natsbench, GOPATH mode, offline)
#
# Exit 77 tells meson the test was skipped (go or the nats.go source missing, outside CI).
set -euo pipefail

build_dir=${1:?usage: run.sh BUILD_DIR}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$script_dir/../../.." && pwd)
gopath=/usr/share/gocode

if ! command -v go > /dev/null 2>&1 || [[ ! -d $gopath/src/github.com/nats-io/nats.go ]]; then
  # In CI a missing tool is a failure: a skip would hide that these tests never ran.
  msg="go (golang-go) and the nats.go source (golang-github-nats-io-go-nats-dev) are needed"
  if [[ "${CI:-}" == true ]]; then
    echo "$msg for the nats.go interop tests" >&2
    exit 1
  fi
  echo "SKIP: $msg for the nats.go interop tests" >&2
  exit 77
fi

# Both meson registrations (nats-server and ringnats) may build at the same time.
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)
natsbench=$build_dir/natsbench
# Debian packages the client for GOPATH mode; nothing is fetched.
export GO111MODULE=off GOPATH=$gopath GOFLAGS='' GOPROXY=off GOCACHE=$build_dir/go-cache
exec 9> "$build_dir/.build.lock"
flock 9
(cd "$source_dir" && go build -o "$natsbench" ./bench/go/natsbench)
flock -u 9

server=${RINGNATS_SERVER:-nats-server}
read -r -a server_args <<< "${RINGNATS_SERVER_ARGS:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/ringnats-go-interop.XXXXXX")
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill -KILL "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$server" -a 127.0.0.1 -p -1 --ports_file_dir "$work" "${server_args[@]}" 2> "$work/server.log" &
server_pid=$!
# The ports file appears once the server listens (bounded: 10 s).
url=
for _ in $(seq 200); do
  ports=$(compgen -G "$work/*_${server_pid}.ports" || true)
  if [[ -n $ports ]] && url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nats"][0])' "$ports" 2> /dev/null); then
    break
  fi
  if ! kill -0 "$server_pid" 2> /dev/null; then
    echo "server exited before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
[[ -n $url ]] || { echo "no ports file within 10 s" >&2; cat "$work/server.log" >&2; exit 1; }

failed=0
run() {  # name, natsbench args...
  local name=$1
  shift
  echo "== $name"
  if ! timeout 300 "$natsbench" -s "$url" -expect-all "$@"; then
    echo "FAIL: $name" >&2
    failed=1
  fi
}
run "pub->sub 16 B" -mode pubsub -n 1000000 -size 16 -subject go.pubsub.16
run "pub->sub 1 KiB" -mode pubsub -n 200000 -size 1024 -subject go.pubsub.1k
run "pub->sub 16 B, unlimited client pending" -mode pubsub -n 1000000 -size 16 -pending unlimited -subject go.pubsub.unl
run "pub 16 B" -mode pub -n 1000000 -size 16 -subject go.pub
run "request/reply" -mode reqrep -n 2000 -size 16 -subject go.reqrep

kill -INT "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
if [[ $status -ne 0 ]]; then
  echo "FAIL: the server exited with status $status" >&2
  failed=1
fi
if grep -E "Slow Consumer|AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer" "$work/server.log" >&2; then
  echo "FAIL: the server log above reports a slow consumer or a sanitizer finding" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then
  echo "--- server log (tail)" >&2
  tail -n 40 "$work/server.log" >&2
fi
exit $failed
