#!/usr/bin/env bash
# The example cluster of deploy/cluster/ as a user runs it: each file passes `-t`,
# start-local.sh starts the three nodes (moved to free ports with RINGNATS_PORT_BASE),
# cluster_check.py checks the full mesh, that a wrong route password is refused and that
# messages cross between every pair of nodes, and start-local.sh stops every node.
# Also checks that deploy/ringnats@.service is still what make-instance-unit.sh makes of
# deploy/ringnats.service, that systemd accepts both units (systemd-analyze verify, with
# ExecStart pointing at the binary under test), and that the command line the instance
# unit runs for `ringnats@node1` accepts node1's file where the unit looks for it.
#
# RINGNATS_BIN: the server to run, ringnats or nats-server (which reads the same files).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cluster=$repo/deploy/cluster
: "${RINGNATS_BIN:?set RINGNATS_BIN to the server binary}"

expected_unit=$("$cluster/make-instance-unit.sh" <"$repo/deploy/ringnats.service")
if ! diff -u "$repo/deploy/ringnats@.service" <(printf '%s\n' "$expected_unit"); then
  echo "FAIL: deploy/ringnats@.service is out of date; regenerate it with"
  echo "  deploy/cluster/make-instance-unit.sh <deploy/ringnats.service >deploy/ringnats@.service"
  exit 1
fi
echo "ok: deploy/ringnats@.service matches deploy/ringnats.service"

units=$(mktemp -d "${TMPDIR:-/tmp}/cluster_units.XXXXXX")
for unit in ringnats.service ringnats@.service; do
  sed "s#/usr/local/bin/ringnats#$RINGNATS_BIN#" "$repo/deploy/$unit" >"$units/$unit"
done
# Anything systemd-analyze says (an unknown key, a bad value, a missing command) fails.
if ! verdict=$(cd "$units" && systemd-analyze verify --man=no ringnats.service \
  ringnats@node1.service 2>&1) || [ -n "$verdict" ]; then
  rm -rf "$units"
  echo "FAIL: systemd-analyze verify of deploy/ringnats.service and deploy/ringnats@.service:"
  echo "$verdict"
  exit 1
fi
echo "ok: systemd-analyze verify accepts both units"
# The instance unit's ExecStart for node1, with /etc/ringnats/ standing for deploy/cluster/
# (where deploy/README.md has the files copied), as a config check.
exec_start=$(sed -n 's/^ExecStart=//p' "$units/ringnats@.service")
exec_start=${exec_start//%i/node1}
exec_start=${exec_start//\/etc\/ringnats\//$cluster/}
read -r -a command <<<"$exec_start"
rm -rf "$units"
"${command[@]}" -t
echo "ok: the instance unit's command for node1 accepts deploy/cluster/node1.conf"

for node in node1 node2 node3; do
  "$RINGNATS_BIN" -t -c "$cluster/$node.conf"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cluster_example.XXXXXX")
export RINGNATS_CLUSTER_DIR=$work RINGNATS_BIN
passed=0
finish() {
  "$cluster/start-local.sh" stop >/dev/null 2>&1 || true
  if ((passed)); then
    rm -rf "$work"
  else
    for log in "$work"/*.log; do
      [ -e "$log" ] || continue
      echo "---- the end of $log"
      tail -n 30 "$log"
    done
    echo "---- kept in $work"
  fi
}
trap finish EXIT

# Nine consecutive ports free on 127.0.0.1 (the example's files fix its ports, so the
# test moves them all; another process may still take one before the nodes bind it, hence
# the retries below).
free_port_base() {
  python3 - <<'EOF'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000)
    sockets = []
    try:
        for port in range(base, base + 9):
            s = socket.socket()
            sockets.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(base)
    break
else:
    raise SystemExit("no nine consecutive free ports")
EOF
}

started=0
for _ in 1 2 3; do
  RINGNATS_PORT_BASE=$(free_port_base)
  export RINGNATS_PORT_BASE
  if "$cluster/start-local.sh" start; then
    started=1
    break
  fi
  grep -qsi "address already in use" "$work"/*.log || break
  echo "a port was taken meanwhile; again with other ports"
done
((started)) || { echo "FAIL: start-local.sh start failed"; exit 1; }

b=$RINGNATS_PORT_BASE
pids=$(cat "$work"/node*.pid)
python3 "$here/cluster_check.py" "$b,$((b + 1)),$((b + 2))" "$((b + 3)),$((b + 4)),$((b + 5))" \
  "$((b + 6)),$((b + 7)),$((b + 8))"
"$cluster/start-local.sh" status

"$cluster/start-local.sh" stop
for pid in $pids; do
  # Gone, or a zombie its new parent has not reaped yet.
  if [ -e "/proc/$pid" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$pid/stat" 2>/dev/null; then
    echo "FAIL: pid $pid still runs after start-local.sh stop"
    exit 1
  fi
done
if grep -Es "Sanitizer|runtime error:|\[FTL\]|panic:" "$work"/*.log; then
  echo "FAIL: a node reported the lines above"
  exit 1
fi
echo "ok: start-local.sh stop stopped every node"
passed=1
