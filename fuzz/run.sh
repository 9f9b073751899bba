#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS [--merge]
# Builds the fuzz preset (clang, libFuzzer, ASan+UBSan) if needed and fuzzes TARGET for SECONDS,
# with its dictionary and .options, seeded from fuzz/corpus/TARGET. New inputs go to a scratch
# directory (build/fuzz-work/TARGET); --merge then adds to the in-tree corpus only the inputs that
# reach new coverage (libFuzzer -merge=1), keeping the named seeds already there.
# A crash leaves crash-* in build/fuzz-work/TARGET/artifacts: minimise it, add it under
# fuzz/regressions/TARGET/ in the commit that fixes the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS [--merge]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [--merge]}
merge=${3:-}
# FUZZ_BUILD_DIR selects a private build directory (configured like the fuzz preset), so several
# people can fuzz different targets at once without sharing build/fuzz.
build=${FUZZ_BUILD_DIR:-build/fuzz}
bin=$build/fuzz/${target}_fuzzer
if [ ! -x "$bin" ] || [ -n "${REBUILD:-}" ]; then
  if [ -n "${FUZZ_BUILD_DIR:-}" ]; then
    cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DREGAUTH_FUZZ=ON -DREGAUTH_ONLY_PROTOCOL=ON -DREGAUTH_BUILD_TESTS=OFF \
      -DREGAUTH_SANITIZE=address,undefined >/dev/null
    cmake --build "$build" --target "${target}_fuzzer" >/dev/null
  else
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz --target "${target}_fuzzer" >/dev/null
  fi
fi
opts=fuzz/${target}.options
max_len=$(sed -n 's/^max_len *= *//p' "$opts")
work=build/fuzz-work/$target
mkdir -p "$work/corpus" "$work/artifacts"
set +e
"$bin" -max_total_time="$seconds" -max_len="${max_len:-4096}" -dict="fuzz/${target}.dict" \
  -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "fuzz/corpus/$target" 2>&1 |
  tee "$work/last-run.log" | grep -E '^(#[0-9]+ .*(DONE|pulse)|stat::|==[0-9]+==ERROR|SUMMARY|INFO: Running with)' | tail -20
rc=${PIPESTATUS[0]}
set -e
if [ "$merge" = "--merge" ] && [ "$rc" -eq 0 ]; then
  before=$(ls "fuzz/corpus/$target" | wc -l)
  "$bin" -merge=1 -max_len="${max_len:-4096}" "fuzz/corpus/$target" "$work/corpus" >/dev/null 2>&1
  echo "merged: $before -> $(ls "fuzz/corpus/$target" | wc -l) files in fuzz/corpus/$target"
fi
exit "$rc"
