#!/usr/bin/env bash
# bench/protocol.sh — parser throughput, and JWT sign/verify as ratios against OpenSSL's own EVP
# sign/verify of the same bytes with the same key, measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset bench >/dev/null
cmake --build --preset bench --target protocol_bench >/dev/null
out=build/bench/protocol_bench.json
build/bench/bench/protocol_bench --benchmark_min_time=0.5 --benchmark_format=json \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rate = {}
for b in doc["benchmarks"]:
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    rate[b["name"]] = 1.0 / (b["real_time"] * unit)
print("protocol parsers (single thread, ops/s):")
for name in ["BM_ParseChallenge", "BM_ParseCredentialsBasic", "BM_ParseCredentialsBearer",
             "BM_ParseScopeList", "BM_ParseRepositoryName", "BM_Base64UrlDecode1KiB",
             "BM_ParseTokenResponse", "BM_ParseCompactJws"]:
    print(f"  {name[3:]:<28} {rate[name]:>12,.0f}")
print("JWT vs OpenSSL EVP, same key and bytes (ops/s, ratio = ours / OpenSSL):")
for ours, peer in [("BM_SignCompactRS256", "BM_OpenSslSignRS256"),
                   ("BM_SignCompactES256", "BM_OpenSslSignES256"),
                   ("BM_VerifyTokenRS256", "BM_OpenSslVerifyRS256"),
                   ("BM_VerifyTokenES256", "BM_OpenSslVerifyES256")]:
    print(f"  {ours[3:]:<22} {rate[ours]:>10,.0f}  OpenSSL {rate[peer]:>10,.0f}  ratio {rate[ours]/rate[peer]:.2f}")
PY
