#!/usr/bin/env bash
# Makes the instance unit deploy/ringnats@.service from deploy/ringnats.service, so that the
# two cannot drift apart (tests/deploy/cluster_example_test.sh checks it):
#   deploy/cluster/make-instance-unit.sh <deploy/ringnats.service >deploy/ringnats@.service
# ringnats@NAME runs `ringnats -c /etc/ringnats/NAME.conf` with its own runtime and log
# directories (/run/ringnats/NAME, /var/log/ringnats/NAME), so several nodes of a cluster can
# run on one machine; everything else is ringnats.service unchanged.
set -euo pipefail
cat <<'HEADER'
# GENERATED from ringnats.service by deploy/cluster/make-instance-unit.sh: edit that file and
# regenerate this one. The instance name is the config file's name: `ringnats@node1` runs
# /etc/ringnats/node1.conf (see docs/clustering.md and deploy/README.md).
#
HEADER
sed -e 's|^\(Description=.*\)$|\1, %i|' \
  -e 's|/etc/ringnats/ringnats\.conf|/etc/ringnats/%i.conf|g' \
  -e 's|/run/ringnats/ringnats\.pid|/run/ringnats/%i/ringnats.pid|g' \
  -e 's|ports_file_dir: /run/ringnats$|ports_file_dir: /run/ringnats/%i|' \
  -e 's|/var/log/ringnats/ringnats\.log|/var/log/ringnats/%i/ringnats.log|g' \
  -e 's|^RuntimeDirectory=ringnats$|RuntimeDirectory=ringnats/%i|' \
  -e 's|^LogsDirectory=ringnats$|LogsDirectory=ringnats/%i|'
