// fuzz_check.h — FUZZ_CHECK(cond): an invariant check that stays on in release builds.
// A failed check prints the condition and aborts, which libFuzzer and the replay driver report
// as a crash with the input that caused it. Never `assert` on fuzz input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
