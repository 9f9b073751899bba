#!/usr/bin/env bash
# clusterfuzzlite_test.sh — runs .clusterfuzzlite/build.sh as the ClusterFuzzLite builder would
# (SRC holding regauth/, OUT, WORK, CXX=clang++, LIB_FUZZING_ENGINE=-fsanitize=fuzzer), then
# checks that $OUT has, for every target of fuzz/CMakeLists.txt, an executable fuzzer, its .dict,
# its .options pointing at that dict and its seed-corpus zip, and that each fuzzer runs over its
# unzipped seeds with its dictionary. Also checks .clusterfuzzlite/project.yaml and Dockerfile.
# CXXFLAGS is only -fsanitize=fuzzer-no-link (no ASan) to keep the build short; the builder's
# sanitizer flags pass through fuzz/build.sh unchanged. Needs clang++ and zip: without them it
# skips (exit 77), except under CI=true, where it fails.
# Usage: clusterfuzzlite_test.sh SOURCE_DIR [WORK_DIR]
set -euo pipefail
source_dir=$(cd "$1" && pwd)
missing() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true)" >&2; exit 1; fi
  echo "SKIP: $1" >&2
  exit 77
}
cxx=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$cxx" ] || missing "clang++ not found (apt-get install clang-14)"
command -v zip >/dev/null || missing "zip not found (apt-get install zip)"
command -v unzip >/dev/null || missing "unzip not found (apt-get install unzip)"

tmp=${2:-$(mktemp -d)}
mkdir -p "$tmp/src" "$tmp/out" "$tmp/work"
ln -sfn "$source_dir" "$tmp/src/regauth"
cleanup() { [ -n "${KEEP_WORK:-}" ] || rm -rf "$tmp/src" "$tmp/out" "$tmp/seeds"; }
trap cleanup EXIT
if command -v ccache >/dev/null && [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
SRC="$tmp/src" OUT="$tmp/out" WORK="$tmp/work" CXX="$cxx" CXXFLAGS="-fsanitize=fuzzer-no-link" \
  LIB_FUZZING_ENGINE="-fsanitize=fuzzer" "$source_dir/.clusterfuzzlite/build.sh"

fail=0
names=$(sed -n 's/^regauth_fuzzer(\([a-z0-9_]*\) .*/\1/p' "$source_dir/fuzz/CMakeLists.txt")
[ -n "$names" ] || { echo "FAIL: no regauth_fuzzer(...) line in fuzz/CMakeLists.txt" >&2; exit 1; }
for name in $names; do
  t="$tmp/out/${name}_fuzzer"
  for f in "$t" "$t.dict" "$t.options" "${t}_seed_corpus.zip"; do
    [ -s "$f" ] || { echo "FAIL: $f missing or empty" >&2; fail=1; continue 2; }
  done
  [ -x "$t" ] || { echo "FAIL: $t is not executable" >&2; fail=1; continue; }
  grep -qx "dict = ${name}_fuzzer.dict" "$t.options" ||
    { echo "FAIL: $t.options does not name ${name}_fuzzer.dict" >&2; fail=1; }
  seeds="$tmp/seeds/$name"
  mkdir -p "$seeds"
  unzip -q -o "${t}_seed_corpus.zip" -d "$seeds"
  count=$(find "$seeds" -type f | wc -l)
  if ! "$t" -runs=0 -dict="$t.dict" "$seeds" >"$tmp/work/$name.log" 2>&1; then
    echo "FAIL: $t over its $count seeds:" >&2
    tail -20 "$tmp/work/$name.log" >&2
    fail=1
    continue
  fi
  grep -q "Dictionary: [1-9][0-9]* entries" "$tmp/work/$name.log" ||
    { echo "FAIL: $t did not load its dictionary" >&2; fail=1; }
  echo "ok ${name}_fuzzer: $count seeds replayed"
done
grep -qx "language: c++" "$source_dir/.clusterfuzzlite/project.yaml" ||
  { echo "FAIL: project.yaml does not say language: c++" >&2; fail=1; }
grep -q '^COPY .clusterfuzzlite/build.sh \$SRC/' "$source_dir/.clusterfuzzlite/Dockerfile" ||
  { echo "FAIL: the Dockerfile does not install build.sh as \$SRC/build.sh" >&2; fail=1; }
exit $fail
