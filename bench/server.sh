#!/usr/bin/env bash
# bench/server.sh — the reference server under load, each figure as a ratio against a peer
# measured in the same run on the same machine:
#   1. token issuance: `wrk` against `regauth serve`'s /jwt/auth with a valid PAT (Basic header),
#      RS256, divided by `openssl speed rsa2048` single-core sign/s. A GitLab token carries two
#      RS256 signatures (the token and its nested `user` JWT, token_service.h), so one core's
#      ceiling is 0.5 and the server's threads may take it up to 0.5 × cores.
#   2. registry: `GET /v2/<repo>/tags/list` with a valid bearer token against the reference
#      registry, divided by the same request with the same token against Debian's docker-registry
#      (distribution 2.8.2) configured by `regauth distribution-config`; both with access logs off.
#   3. peak RSS (VmHWM) of `regauth serve` (token service + registry) and of docker-registry.
# Environment: REGAUTH (a built regauth binary; default: build it with the `bench` preset),
# DURATION (seconds per wrk run, default 10), THREADS/CONNECTIONS (wrk, default 2/16).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
WORLD=cases/worlds/gitlab-default.json
REPO=acme/private-enabled/bench

for tool in wrk openssl python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/server.sh: $tool is required" >&2; exit 1; }
done
if [ -z "${REGAUTH:-}" ]; then
  cmake --preset bench >/dev/null
  cmake --build --preset bench --target regauth >/dev/null
  REGAUTH=build/bench/regauth
fi
DOCKER_REGISTRY=/usr/bin/docker-registry

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work dir: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# json FILE EXPR: one value from a JSON document.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# credential ID: "username secret" of a world credential (what `regauth credentials` prints).
credential() {
  "$REGAUTH" credentials --world "$WORLD" >"$work/credentials.json"
  python3 - "$work/credentials.json" "$1" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1])):
    if c["id"] == sys.argv[2]:
        print(c["username"], c["secret"])
PY
}
basic() { printf '%s:%s' "$1" "$2" | base64 -w0; }
# rps FILE: Requests/sec of a wrk report; fails when any response was not 2xx/3xx.
rps() {
  if grep -q 'Non-2xx or 3xx responses' "$1"; then
    echo "bench/server.sh: non-2xx responses in $(basename "$1"):" >&2
    cat "$1" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ {print $2}' "$1"
}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
wait_for() {  # wait_for URL STATUS
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = "$2" ] && return 0
    sleep 0.1
  done
  echo "bench/server.sh: $1 never answered $2" >&2
  exit 1
}

# --- the reference server ------------------------------------------------------------------------
"$REGAUTH" serve --world "$WORLD" --listen 127.0.0.1:0 --registry-listen 127.0.0.1:0 \
  --state-dir "$work/state" --in-memory --log-level warn >"$work/serve.json" 2>"$work/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 200); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
[ -s "$work/serve.json" ] || { cat "$work/serve.log" >&2; exit 1; }
realm=$(json "$work/serve.json" 'd["realm"]')
registry=$(json "$work/serve.json" 'd["registry_url"]')

# --- 1. token issuance vs OpenSSL RSA-2048 signing ----------------------------------------------
read -r user secret < <(credential dana-pat-read-registry)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Basic $(basic "$user" "$secret")" \
  "$realm?service=container_registry&scope=repository:acme/private-enabled:pull" >"$work/wrk-token.txt"
token_rps=$(rps "$work/wrk-token.txt")
sign_s=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')

# --- 2. registry tags/list vs docker-registry ---------------------------------------------------
read -r user secret < <(credential dana-pat-read-write-registry)
curl -s -H "Authorization: Basic $(basic "$user" "$secret")" \
  "$realm?service=container_registry&scope=repository:$REPO:pull,push" >"$work/token.json"
token=$(json "$work/token.json" 'd["token"]')

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$REGAUTH" distribution-config --listen "127.0.0.1:$port" --realm "$realm" --state-dir "$work/state" \
  --storage "$work/docker-registry" --world "$WORLD" --log-level error 2>/dev/null |
  sed 's/^log:$/log:\n  accesslog:\n    disabled: true/' >"$work/config.yml"
env -i PATH=/usr/bin:/bin "$DOCKER_REGISTRY" serve "$work/config.yml" >"$work/docker-registry.log" 2>&1 &
dr_pid=$!
pids+=("$dr_pid")
wait_for "http://127.0.0.1:$port/v2/" 401

# push: one tiny image tagged v1 into both registries, so tags/list answers 200 on both.
for base in "$registry" "http://127.0.0.1:$port"; do
  python3 - "$base" "$REPO" "$token" <<'PY'
import hashlib, json, sys, urllib.parse, urllib.request
base, repo, token = sys.argv[1:4]
auth = {"Authorization": "Bearer " + token}
def call(method, url, body=b"", headers=None):
    req = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None,
                                 method=method, headers={**auth, **(headers or {})})
    return urllib.request.urlopen(req)
def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = call("POST", f"{base}/v2/{repo}/blobs/uploads/").headers["Location"]
    url = urllib.parse.urljoin(base, loc)
    url += ("&" if "?" in url else "?") + "digest=" + urllib.parse.quote(digest)
    call("PUT", url, data, {"Content-Type": "application/octet-stream"})
    return {"digest": digest, "size": len(data)}
layer = blob(b"regauth bench layer\n")
config = blob(json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}]}
call("PUT", f"{base}/v2/{repo}/manifests/v1", json.dumps(manifest).encode(),
     {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
PY
done

wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $token" \
  "$registry/v2/$REPO/tags/list" >"$work/wrk-reference.txt"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/v2/$REPO/tags/list" >"$work/wrk-docker-registry.txt"
ref_rps=$(rps "$work/wrk-reference.txt")
dr_rps=$(rps "$work/wrk-docker-registry.txt")

serve_hwm=$(hwm_kib "$serve_pid")
dr_hwm=$(hwm_kib "$dr_pid")

python3 - "$token_rps" "$sign_s" "$ref_rps" "$dr_rps" "$serve_hwm" "$dr_hwm" "$(nproc)" \
  "$THREADS" "$CONNECTIONS" "$DURATION" <<'PY'
import sys
token_rps, sign_s, ref_rps, dr_rps, serve_hwm, dr_hwm = map(float, sys.argv[1:7])
cores, threads, conns, duration = sys.argv[7:]
print(f"reference server (wrk -t{threads} -c{conns} -d{duration}s, loopback, {cores} cores)")
print(f"  {'measure':<40} {'ours':>10}   {'peer':<28} {'peer':>10}   {'ratio':>6}")
print(f"  {'token issuance RS256, PAT (req/s)':<40} {token_rps:>10,.0f}   "
      f"{'openssl rsa2048 sign/s, 1 core':<28} {sign_s:>10,.0f}   {token_rps / sign_s:>6.2f}")
print(f"  {'registry GET tags/list, bearer (req/s)':<40} {ref_rps:>10,.0f}   "
      f"{'docker-registry 2.8.2':<28} {dr_rps:>10,.0f}   {ref_rps / dr_rps:>6.2f}")
print(f"  {'peak RSS VmHWM (MiB)':<40} {serve_hwm / 1024:>10,.1f}   "
      f"{'docker-registry 2.8.2':<28} {dr_hwm / 1024:>10,.1f}   {serve_hwm / dr_hwm:>6.2f}")
print("  (each token holds 2 RS256 signatures: the ceiling is 0.5 per core; regauth's RSS covers "
      "the token service and the registry)")
PY
