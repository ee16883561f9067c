#!/bin/sh
# Checks that nats-server agrees with each corpus file's name: accept_*.conf must pass
# `nats-server -t -c`, refuse_*.conf must fail. Run from anywhere: sh check_with_nats_server.sh
cd "$(dirname "$0")" || exit 2
status=0
for f in accept_*.conf refuse_*.conf; do
  if nats-server -t -c "$f" >/dev/null 2>&1; then verdict=accept; else verdict=refuse; fi
  case "$f" in
    "$verdict"_*) ;;
    *) echo "MISMATCH: $f: nats-server says $verdict"; status=1 ;;
  esac
done
exit $status
