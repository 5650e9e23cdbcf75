// One request as webhook-mock received and answered it: what its journal
// keeps, what stubs and verifications match against.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook_mock {

using Headers = std::vector<std::pair<std::string, std::string>>;  // in order, duplicates kept

struct RecordedRequest {
  std::uint64_t sequence = 0;  // 1, 2, ... in order of arrival
  std::string id;              // a UUID, as WireMock's journal ids
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;  // without '?'
  Headers headers;
  std::string body;
  std::string client_address;  // "127.0.0.1:54321"
  std::int64_t received_ms = 0;  // Unix ms
  int answered_status = 0;       // 0 for a fault
  std::string fault;             // the fault answered, if any
  std::string stub_id;           // the stub that answered; empty when none matched
  bool was_matched = false;      // a stub (or the C++ responder) answered
  // Why a stub could not be matched: "regular expression over budget: stub
  // ID: body: matches '...'" (the first such stub); empty when none.
  std::string match_error;

  // The first header named `name` (case-insensitive), or "" when none.
  std::string header(std::string_view name) const;
};

}  // namespace webhook_mock
