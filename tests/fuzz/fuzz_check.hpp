// A fuzz target's own assertion: prints what broke and aborts, so that
// libFuzzer keeps the input and the replay runner fails, in any build type
// (assert() is gone with NDEBUG).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                        \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: %s (%s)\n", __FILE__, __LINE__, what, #condition);      \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)
