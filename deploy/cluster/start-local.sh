#!/usr/bin/env bash
# Runs the three-node example cluster (node1.conf, node2.conf, node3.conf) on this machine, in
# the background, and waits until every node accepts clients.
#
#   deploy/cluster/start-local.sh [start]   start the three nodes
#   deploy/cluster/start-local.sh status    each node's pid and number of routes (/routez)
#   deploy/cluster/start-local.sh stop      stop them (SIGINT; SIGKILL after 15 s)
#
# Environment:
#   RINGNATS_BIN          the server binary. Default: ringnats from build-quickstart/ or
#                         build-dev/ or $PATH; when there is none, it is built as
#                         deploy/quickstart.sh builds it. Any nats-server 2.9 runs these
#                         files as well (RINGNATS_BIN=/usr/sbin/nats-server).
#   RINGNATS_CLUSTER_DIR  where the copied configs, logs (nodeN.log) and pid files
#                         (nodeN.pid) go. Default: ${TMPDIR:-/tmp}/ringnats-cluster.
#   RINGNATS_PORT_BASE    move the nine ports to N .. N+8: node i (1-3) listens for clients
#                         on N+i-1, for routes on N+2+i, for monitoring on N+5+i. Default:
#                         the ports in the files (4222-4224, 6222-6224, 8222-8224).
# The nodes run from copies of the files in RINGNATS_CLUSTER_DIR, so the originals may be
# edited while they run; `stop` and `status` need the same RINGNATS_CLUSTER_DIR as `start`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
run_dir=${RINGNATS_CLUSTER_DIR:-${TMPDIR:-/tmp}/ringnats-cluster}
nodes=(node1 node2 node3)
default_ports=(4222 4223 4224 6222 6223 6224 8222 8223 8224)

die() { echo "start-local.sh: $*" >&2; exit 1; }

if [ -n "${RINGNATS_PORT_BASE:-}" ]; then
  [[ $RINGNATS_PORT_BASE =~ ^[0-9]{1,5}$ ]] && RINGNATS_PORT_BASE=$((10#$RINGNATS_PORT_BASE)) ||
    RINGNATS_PORT_BASE=0
  if ((RINGNATS_PORT_BASE < 1 || RINGNATS_PORT_BASE > 65527)); then
    die "RINGNATS_PORT_BASE must be a number from 1 to 65527"
  fi
fi

find_binary() {
  if [ -n "${RINGNATS_BIN:-}" ]; then
    [ -x "$RINGNATS_BIN" ] || RINGNATS_BIN=$(command -v "$RINGNATS_BIN") ||
      die "RINGNATS_BIN=$RINGNATS_BIN is not an executable"
    echo "$RINGNATS_BIN"
    return
  fi
  local candidate
  for candidate in "$repo/build-quickstart/src/server/ringnats" "$repo/build-dev/src/server/ringnats"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  if command -v ringnats >/dev/null; then command -v ringnats; return; fi
  # As deploy/quickstart.sh does, without starting it.
  echo "start-local.sh: no ringnats binary found; building one in build-quickstart/" >&2
  (
    cd "$repo"
    if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
      deploy/install-deps.sh
    fi
    if [ ! -d build-quickstart ]; then
      meson setup build-quickstart --buildtype=release -Dtests=false -Dbenchmarks=false
    fi
    ninja -C build-quickstart src/server/ringnats
  ) >&2
  echo "$repo/build-quickstart/src/server/ringnats"
}

# The port of kind `index` (0-8, in the order of default_ports) after RINGNATS_PORT_BASE.
port_of() {
  if [ -n "${RINGNATS_PORT_BASE:-}" ]; then
    echo $((RINGNATS_PORT_BASE + $1))
  else
    echo "${default_ports[$1]}"
  fi
}

# Copies a node's file into run_dir with every default port replaced, in two steps so that a
# new port equal to another default port is not replaced again.
copy_config() {  # node
  local script=() i
  for i in "${!default_ports[@]}"; do script+=(-e "s/\\b${default_ports[$i]}\\b/@@port$i@@/g"); done
  for i in "${!default_ports[@]}"; do script+=(-e "s/@@port$i@@/$(port_of "$i")/g"); done
  sed "${script[@]}" "$here/$1.conf" >"$run_dir/$1.conf"
  chmod 0600 "$run_dir/$1.conf"  # it holds the plain-text route password
}

# The pid in a node's pid file, if that process is still the server started from its config.
running_pid() {  # node
  local pid
  pid=$(cat "$run_dir/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$run_dir/$1.conf" || return 1
  echo "$pid"
}

# Whether a process exists and has not exited (a child of this script that exited stays a
# zombie until the script ends).
alive() {  # pid
  kill -0 "$1" 2>/dev/null && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null
}

# Waits until a node accepts TCP connections on its client port (or has exited).
wait_ready() {  # node, client port, pid
  local deadline=$((SECONDS + 20))
  while ! alive "$3" || ! (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
    if ! alive "$3"; then
      echo "start-local.sh: $1 exited; the end of $run_dir/$1.log:" >&2
      tail -n 20 "$run_dir/$1.log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "start-local.sh: $1 does not accept clients on port $2 after 20 s" >&2
      return 1
    fi
    sleep 0.1
  done
}

start() {
  local bin node i pid failed=0
  bin=$(find_binary)
  mkdir -p "$run_dir"
  for node in "${nodes[@]}"; do
    if pid=$(running_pid "$node"); then die "$node is already running (pid $pid); run: $0 stop"; fi
  done
  for i in "${!nodes[@]}"; do
    node=${nodes[$i]}
    copy_config "$node"
    "$bin" -c "$run_dir/$node.conf" </dev/null >"$run_dir/$node.log" 2>&1 &
    echo $! >"$run_dir/$node.pid"
  done
  for i in "${!nodes[@]}"; do
    node=${nodes[$i]}
    wait_ready "$node" "$(port_of "$i")" "$(cat "$run_dir/$node.pid")" || failed=1
  done
  if ((failed)); then
    stop >/dev/null
    die "the cluster did not start; logs in $run_dir"
  fi
  echo "cluster started with $bin; configs, logs and pid files in $run_dir"
  for i in "${!nodes[@]}"; do
    echo "  ${nodes[$i]}: clients nats://127.0.0.1:$(port_of "$i")," \
      "routes 127.0.0.1:$(port_of $((i + 3)))," \
      "monitoring http://127.0.0.1:$(port_of $((i + 6)))/routez"
  done
  echo "routes take a moment to connect: $0 status"
}

status() {
  local i node pid routes
  for i in "${!nodes[@]}"; do
    node=${nodes[$i]}
    if pid=$(running_pid "$node"); then
      routes=$(curl -sf "http://127.0.0.1:$(port_of $((i + 6)))/routez" |
        grep -oE '"num_routes": *[0-9]+' | grep -oE '[0-9]+$') || routes="?"
      echo "$node: running (pid $pid), $routes routes"
    else
      echo "$node: not running"
    fi
  done
}

stop() {
  local node pid pids=() deadline
  for node in "${nodes[@]}"; do
    if pid=$(running_pid "$node"); then
      kill -INT "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$run_dir/$node.pid"
  done
  deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while alive "$pid"; do
      if ((SECONDS > deadline)); then
        echo "start-local.sh: pid $pid ignored SIGINT for 15 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  done
  echo "stopped ${#pids[@]} node(s); logs stay in $run_dir"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac
