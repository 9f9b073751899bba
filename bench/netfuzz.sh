#!/usr/bin/env bash
# bench/netfuzz.sh — `regauth netfuzz` at volume against the embedded reference target: at least
# 100,000 requests (issue 11: zero findings), reported as requests/s and findings, and as a ratio
# against the machine's RSA-2048 signing rate measured in the same run (`openssl speed rsa2048`,
# one core): most requests carry a token that netfuzz signs and the target verifies, and every
# token request makes the reference token service sign twice.
# Environment: REGAUTH (a built regauth binary; default: build it with the `bench` preset),
# REQUESTS (default 101000, so that at least 100,000 are sent: the few that libcurl refuses to
# send are not counted), SEED (default 1), TARGET (reference | distribution, default reference).
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-101000}
SEED=${SEED:-1}
TARGET=${TARGET:-reference}
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "bench/netfuzz.sh: $tool is required" >&2; exit 1; }
done
if [ -z "${REGAUTH:-}" ]; then
  cmake --preset bench >/dev/null
  cmake --build --preset bench --target regauth >/dev/null
  REGAUTH=build/bench/regauth
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rc=0
"$REGAUTH" netfuzz --target "$TARGET" --requests "$REQUESTS" --seed "$SEED" --out "$work/out" \
  >"$work/netfuzz.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  echo "bench/netfuzz.sh: regauth netfuzz failed (exit $rc):" >&2
  tail -20 "$work/netfuzz.log" >&2
  exit 1
fi
sign_s=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
python3 - "$work/out/findings.json" "$sign_s" "$TARGET" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sign = float(sys.argv[2])
rps = doc["requests_per_second"]
print("regauth netfuzz --target %s, seed %s" % (sys.argv[3], doc["run"]["seed"]))
print("  requests sent:        %d (%d not sendable by libcurl)" % (doc["requests_sent"], doc["requests_not_sendable"]))
print("  wall time:            %.1f s" % doc["duration_s"])
print("  requests/s:           %.0f" % rps)
print("  openssl rsa2048 sign/s (one core): %.0f" % sign)
print("  ratio requests/s : signs/s = %.2f" % (rps / sign))
print("  findings:             %d %s" % (len(doc["findings"]), json.dumps(doc["by_invariant"])))
for f in doc["findings"]:
    print("    %s %s: %s" % (f["id"], f["invariant"], f["detail"]))
PY
[ "$rc" -eq 0 ] || echo "bench/netfuzz.sh: findings above (exit 1 from regauth netfuzz)"
