#!/usr/bin/env bash
# Installs every Debian package regauth needs to build, test, fuzz and benchmark, and the real
# peers its integration tests drive. Idempotent: with everything present it changes nothing and
# makes no network call. Runs as root (CI) or through sudo.
set -euo pipefail

packages=(
  # toolchain
  cmake make g++ clang-14 libclang-rt-14-dev clang-format-14 pkg-config
  # libraries (find_package)
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libboost-dev libcli11-dev zlib1g-dev
  # real peers and tools used by tests and benchmarks
  docker-registry skopeo wrk openssl curl ca-certificates chromium python3
  # registry clients `regauth clients` drives (README "Client conformance"); node runs the npm
  # client libraries of cases/clients/node (scripts/install-node-clients.sh)
  podman buildah containerd nodejs
  # ci/ templates test (python3-yaml), .clusterfuzzlite/ build test and CPack (zip, unzip, dpkg-dev)
  python3-yaml zip unzip dpkg-dev
  # scripts/validate-data.py: the data files against cases/schema/ (Draft 2020-12)
  python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
# npm: Debian's package, unless a nodejs build that ships its own npm is installed (NodeSource's
# nodejs conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The npm registry client libraries, pinned by cases/clients/node/package-lock.json. Without
# the npm registry they stay missing: `regauth clients` then reports them SKIP (ERROR under
# CI=true) with the reason, and everything else still builds and runs.
node_clients() {
  "$here/install-node-clients.sh" ||
    echo "install-deps: warning: the npm client libraries could not be installed" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  node_clients
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian's docker-registry package starts a system service on :5000 where an init system runs;
# regauth's tests start their own registries on free ports and never use it.

node_clients
