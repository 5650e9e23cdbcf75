// Assertions for tests, with WireMock's request-pattern format: count,
// find, wait until a count is reached; a failure names the nearest
// near-miss request and what differs.
#pragma once

#include "webhook_mock/journal.hpp"
#include "webhook_mock/request_pattern.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook_mock {

// Parses a pattern from JSON text; throws std::invalid_argument naming
// every problem ("/headers/X-A: ...").
RequestPattern pattern(std::string_view json_text);

// Whether a Standard Webhooks signature of `r` (any "v1,<base64>" entry of
// webhook-signature) is HMAC-SHA256 under `key` (the secret's decoded
// bytes) of "id.timestamp.body"; else false with `reason`. The timestamp is
// not compared with any clock here.
bool verify_signature(std::string_view key, const RecordedRequest& r, std::string& reason);

enum class CountRule { exactly, at_least, at_most };

struct Verdict {
  bool ok = false;
  std::size_t count = 0;
  std::string message;  // on failure: expected, actual, and the nearest near-miss
  explicit operator bool() const { return ok; }
};

class Verifier {
 public:
  explicit Verifier(const Journal& journal) : journal_(journal) {}

  std::size_t count(const RequestPattern& p) const;
  std::vector<RecordedRequest> find(const RequestPattern& p) const;
  // Fails, saying so, when a regular expression ran over its budget.
  Verdict expect(const RequestPattern& p, CountRule rule, std::size_t n) const;
  // Waits until at least `n` requests match or `timeout` passes.
  Verdict wait_for(const RequestPattern& p, std::size_t n, std::chrono::milliseconds timeout) const;
  // The request failing the fewest parts of `p` (the first of those, in
  // arrival order); nullopt when none fails only some.
  std::optional<RecordedRequest> nearest(const RequestPattern& p) const;
  // That request, and why it does not match; "" when none.
  std::string near_miss(const RequestPattern& p) const;
  // Why `r` (the nearest request) does not match `p`, as near_miss says it.
  static std::string explain(const RequestPattern& p, const RecordedRequest& r);

 private:
  std::size_t count(const RequestPattern& p, std::string* over_budget) const;
  const Journal& journal_;
};

}  // namespace webhook_mock
