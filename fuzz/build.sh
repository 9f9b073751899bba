#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script (.clusterfuzzlite/build.sh runs it). Uses the
# environment those builders set:
#   $CXX, $CXXFLAGS (sanitizer flags + -fsanitize=fuzzer-no-link), $LIB_FUZZING_ENGINE (the
#   engine's link flags), $OUT (where targets, dicts, options and seed corpora go), $WORK
#   (scratch space for the CMake build; default /tmp).
# Every target of fuzz/CMakeLists.txt is built unchanged; for each <name>_fuzzer, $OUT gets
#   <name>_fuzzer, <name>_fuzzer.dict, <name>_fuzzer.options (its dict line pointing at that
#   file) and <name>_fuzzer_seed_corpus.zip (corpus/<name>/ and regressions/<name>/, as folders).
# CMake honours CMAKE_CXX_COMPILER_LAUNCHER from the environment (e.g. ccache).
src=$(cd "$(dirname "$0")/.." && pwd)
build=${WORK:-/tmp}/regauth-oss-fuzz
: "${CXX:?CXX is not set}" "${OUT:?OUT is not set}" "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE is not set}"
mkdir -p "$OUT"
cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGAUTH_FUZZ=ON -DREGAUTH_ONLY_PROTOCOL=ON \
  -DREGAUTH_BUILD_TESTS=OFF -DREGAUTH_SANITIZE= -DREGAUTH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  >"$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)"
built=0
for bin in "$build"/fuzz/*_fuzzer; do
  [ -x "$bin" ] || continue
  target=$(basename "$bin")
  name=${target%_fuzzer}
  cp "$bin" "$OUT/"
  cp "$src/fuzz/$name.dict" "$OUT/$target.dict"
  sed "s/^dict = .*/dict = $target.dict/" "$src/fuzz/$name.options" >"$OUT/$target.options"
  # Seeds and regressions keep their folders (corpus/<name>/, regressions/<name>/): file names
  # may repeat between the two, and libFuzzer and ClusterFuzz read a corpus recursively.
  rm -f "$OUT/${target}_seed_corpus.zip"
  dirs=()
  for kind in corpus regressions; do
    [ -d "$src/fuzz/$kind/$name" ] && dirs+=("$kind/$name")
  done
  if [ ${#dirs[@]} -gt 0 ]; then
    (cd "$src/fuzz" && zip -q -r "$OUT/${target}_seed_corpus.zip" "${dirs[@]}" -x '*/.*')
  fi
  built=$((built + 1))
done
[ "$built" -gt 0 ] || { echo "fuzz/build.sh: no fuzz target was built in $build/fuzz" >&2; exit 1; }
echo "fuzz/build.sh: $built targets in $OUT"
