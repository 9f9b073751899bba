#!/usr/bin/env bash
# Installs the npm registry client libraries that `regauth clients` drives
# (cases/clients/node/package.json, pinned by its package-lock.json) into
# cases/clients/node/node_modules with `npm ci --ignore-scripts` (no install scripts run: the
# libraries are plain JavaScript; bunyan's optional dtrace-provider is skipped).
# Idempotent: when node_modules was installed from the current lock file it changes nothing and
# makes no network call. Needs node and npm (scripts/install-deps.sh installs them) and the npm
# registry (registry.npmjs.org, or the one npm is configured with).
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../cases/clients/node" && pwd)"
stamp="$dir/node_modules/.regauth-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-node-clients: npm is missing; run scripts/install-deps.sh" >&2
  exit 2
fi
echo "install-node-clients: npm ci in $dir" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
