#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build entry point ($SRC/build.sh in the builder image, see
# Dockerfile): builds every fuzz target of fuzz/CMakeLists.txt with $CXX $CXXFLAGS and links
# $LIB_FUZZING_ENGINE, and puts each into $OUT with its dictionary (<target>.dict), options
# (<target>.options) and seed corpus (<target>_seed_corpus.zip: corpus/<name>/ and
# regressions/<name>/). The work is fuzz/build.sh's, so `make fuzz`, OSS-Fuzz and this build
# the same targets the same way. Locally (fuzz/clusterfuzzlite_test.sh does this):
#   SRC=<dir holding regauth/> OUT=/tmp/out WORK=/tmp/work CXX=clang++ \
#   CXXFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer .clusterfuzzlite/build.sh
exec "$SRC/regauth/fuzz/build.sh"
