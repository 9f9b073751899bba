#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script. Uses the environment those builders set:
#   $SRC (checkout parent), $CXX, $CXXFLAGS (sanitizer + -fsanitize=fuzzer-no-link),
#   $LIB_FUZZING_ENGINE (engine link flags), $OUT (where targets, dicts, options and seed
#   corpora go). Every target is built unchanged from fuzz/CMakeLists.txt.
src=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/$(basename "$(cd "$(dirname "$0")/.." && pwd)")
build=${WORK:-/tmp}/regauth-oss-fuzz
cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGAUTH_FUZZ=ON -DREGAUTH_ONLY_PROTOCOL=ON \
  -DREGAUTH_BUILD_TESTS=OFF -DREGAUTH_SANITIZE= -DREGAUTH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$build" -j"$(nproc)"
for bin in "$build"/fuzz/*_fuzzer; do
  target=$(basename "$bin")
  name=${target%_fuzzer}
  cp "$bin" "$OUT/"
  cp "$src/fuzz/$name.dict" "$OUT/$target.dict"
  sed "s/^dict = .*/dict = $target.dict/" "$src/fuzz/$name.options" > "$OUT/$target.options"
  (cd "$src/fuzz" && find "corpus/$name" "regressions/$name" -type f ! -name '.*' -print0 |
     xargs -0 -r zip -q -j "$OUT/${target}_seed_corpus.zip")
done
