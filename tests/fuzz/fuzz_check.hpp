// A fuzz target's own assertion: prints what broke and aborts, so that
// libFuzzer keeps the input and the replay runner fails, in any build type
// (assert() is gone with NDEBUG).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(condition, what)                                                        \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: %s (%s)\n", __FILE__, __LINE__, what, #condition);      \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)

// Every `from` in `text` replaced with `to`: the targets' stand-ins ("@K@")
// for values a fuzzer would not guess (a secret).
inline void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
}
