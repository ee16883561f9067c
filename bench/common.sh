# Shared by the side-by-side bench scripts (sourced, never run): the --quick/--full/--help
# arguments and the usual binaries, starting and stopping a broker, and the exit cleanup that keeps raw
# results in $KEEP_DIR.

# bench_parse_mode SCRIPT ARGS...: sets `mode` (quick or full); --help prints the script's
# header comment and exits.
bench_parse_mode() {
  local script=$1 arg
  shift
  mode=quick
  for arg in "$@"; do
    case "$arg" in
      --quick) mode=quick ;;
      --full) mode=full ;;
      -h | --help)
        sed -n '2,/^set -e/p' "$script" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
      *)
        echo "$(basename "$script"): unknown argument: $arg" >&2
        exit 2
        ;;
    esac
  done
}

# bench_setup SCRIPT ARGS...: bench_parse_mode, then cd to the repository root (sets `root`)
# and default the binaries and thread counts the scripts share.
bench_setup() {
  local script=$1
  bench_parse_mode "$@"
  root=$(cd "$(dirname "$script")/.." && pwd)
  cd "$root"
  RINGNATS_BIN=${RINGNATS_BIN:-build-release/src/server/ringnats}
  NATS_SERVER_BIN=${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
  BENCH_BIN=${BENCH_BIN:-build-release/bench/load/ringnats-bench}
  RINGNATS_WORKERS=${RINGNATS_WORKERS:-2}
  BENCH_THREADS=${BENCH_THREADS:-2}
}

# start_server NAME DIR [BROKER ARGS...]: a fresh broker (NAME ringnats or nats-server) on
# 127.0.0.1 and a free port, ringnats with $RINGNATS_WORKERS workers, logging to DIR/log.
# Waits for its ports file (and its monitoring port when the arguments ask for one), or
# prints the log and exits. Sets server_pid, server_url (host:port of the client port, any
# scheme) and server_ports (the ports file).
start_server() {
  local name=$1 dir=$2 arg want_monitoring=false
  shift 2
  for arg in "$@"; do
    case "$arg" in -m | --http_port | -ms | --https_port) want_monitoring=true ;; esac
  done
  mkdir -p "$dir"
  case "$name" in
    ringnats)
      "$RINGNATS_BIN" "$@" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" \
        --workers "$RINGNATS_WORKERS" > "$dir/log" 2>&1 &
      ;;
    nats-server)
      "$NATS_SERVER_BIN" "$@" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" > "$dir/log" 2>&1 &
      ;;
    *)
      echo "start_server: unknown broker $name" >&2
      exit 2
      ;;
  esac
  server_pid=$!
  # Both brokers name the file <executable>_<pid>.ports and write it once they listen.
  local executable=$RINGNATS_BIN
  [[ $name == ringnats ]] || executable=$NATS_SERVER_BIN
  server_ports="$dir/$(basename "$executable")_${server_pid}.ports"
  local ready=false
  for _ in $(seq 200); do
    if [[ -s $server_ports ]] &&
      { ! $want_monitoring || grep -q '"monitoring"' "$server_ports"; }; then
      ready=true
      break
    fi
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.05
  done
  if ! $ready; then
    echo "$(basename "$0"): $name did not start; its log:" >&2
    cat "$dir/log" >&2
    exit 1
  fi
  # nats-server writes tls:// when TLS is on; ringnats writes nats://.
  server_url=$(grep -o '"nats":\["[a-z]*://[^"]*' "$server_ports" | sed 's|.*://||')
}

# stop_server PID: SIGINT, up to 5 s to exit, then SIGKILL; reaps it.
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

# Installs the exit cleanup: stops $server_pid, copies $work to $KEEP_DIR when set, removes
# $work.
bench_cleanup_on_exit() {
  trap 'stop_server "$server_pid"; server_pid=""
        if [[ -n ${KEEP_DIR:-} ]]; then
          mkdir -p "$KEEP_DIR" && cp -r "$work"/. "$KEEP_DIR"/ && echo "raw results in $KEEP_DIR" >&2
        fi
        rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
}
