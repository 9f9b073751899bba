#!/usr/bin/env bash
# make bench: every benchmark under bench/, each printing its figures as ratios against a peer
# measured in the same run. Benchmarks are never timed unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/protocol.sh bench/server.sh bench/server_abuse.py bench/matrix.sh bench/reports.sh bench/netfuzz.sh; do
  if [ -x "$b" ]; then
    echo "== $b"
    "$b"
  fi
done
