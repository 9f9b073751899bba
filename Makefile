# The README's two commands are the contract: `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), then build with CMake presets.
SHELL := /bin/bash
BUILD := build/default
REGAUTH := $(BUILD)/regauth
JOBS ?= 2

.PHONY: all deps build run test test-unit test-asan fuzz bench format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

# Runs the whole suite against the embedded reference target (reports under reports/out/latest).
# Extra flags for `regauth run` go in RUN_ARGS, e.g. make run RUN_ARGS='--target distribution'.
run: build
	@$(REGAUTH) run $(RUN_ARGS)

test: deps format-check test-unit test-asan

test-unit: build
	@ctest --preset default -j $(JOBS)

# The protocol core and every fuzz corpus replayed under ASan+UBSan.
test-asan: deps
	@cmake --preset asan-ubsan-protocol >/dev/null
	@cmake --build --preset asan-ubsan-protocol -j $(JOBS)
	@ctest --preset asan-ubsan-protocol -j $(JOBS)

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@echo "fuzz targets in build/fuzz/fuzz/; run one with: fuzz/run.sh TARGET SECONDS"

bench: deps
	@bash bench/run.sh

format:
	@bash scripts/source-files.sh | xargs -r clang-format-14 -i

format-check:
	@bash scripts/check-format.sh

clean:
	rm -rf build
