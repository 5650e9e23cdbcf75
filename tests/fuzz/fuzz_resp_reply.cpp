// The RESP2 parser takes whatever a Redis server (or something posing as
// one) sends. Fuzzed for: no crash, no undefined behaviour, limits held (no
// bulk, array or nesting beyond them), and the same verdict however the
// bytes arrive: the whole input parsed at once against the parse retried on
// every growing prefix (as reads deliver them); a complete reply uses no more
// bytes than it was given.
#include "fuzz_check.hpp"
#include "output_runner/resp.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using output_runner::resp::Limits;
using output_runner::resp::Parser;
using output_runner::resp::Reply;

namespace {

constexpr Limits kLimits{4096, 64, 4};

std::size_t depth_of(const Reply& r) {
  std::size_t deepest = 0;
  for (const auto& e : r.elements) deepest = std::max(deepest, depth_of(e));
  return r.is_array() ? deepest + 1 : 0;
}

void check_limits(const Reply& r) {
  FUZZ_CHECK(r.text.size() <= kLimits.max_bulk_bytes || r.type != Reply::Type::bulk, "a bulk over the limit");
  FUZZ_CHECK(r.elements.size() <= kLimits.max_array_elements, "an array over the limit");
  for (const auto& e : r.elements) check_limits(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Parser whole(kLimits);
  Reply reply;
  std::size_t used = 0;
  std::string error;
  const auto verdict = whole.parse(input, reply, used, error);
  if (verdict == Parser::Result::complete) {
    FUZZ_CHECK(used <= size, "used more bytes than given");
    FUZZ_CHECK(depth_of(reply) <= kLimits.max_depth, "nested beyond the limit");
    check_limits(reply);
  }
  if (verdict == Parser::Result::invalid) FUZZ_CHECK(!error.empty(), "refused without a reason");
  // Growing prefixes, from what the parser said it wants: the first verdict
  // other than `incomplete` is the whole input's.
  Parser piecewise(kLimits);
  for (std::size_t have = 0;; ) {
    Reply r;
    std::size_t u = 0;
    std::string e;
    const auto v = piecewise.parse(input.substr(0, have), r, u, e);
    if (v != Parser::Result::incomplete) {
      FUZZ_CHECK(v == verdict, "a verdict that depends on how the bytes arrived");
      if (v == Parser::Result::complete) FUZZ_CHECK(u == used, "a reply of another length");
      break;
    }
    if (have == size) {
      FUZZ_CHECK(verdict == Parser::Result::incomplete, "incomplete in pieces, not whole");
      break;
    }
    have = std::min(size, std::max(have + 1, piecewise.wanted()));
  }
  return 0;
}
