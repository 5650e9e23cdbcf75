// Stub mappings (WireMock's format): a request pattern, a response
// definition, a priority and an optional scenario step; and the store that
// picks the answer for each request, as WireMock does: the matching stub of
// lowest priority number, the newest among equals, scenario states honoured.
#pragma once

#include "webhook_mock/request_pattern.hpp"
#include "webhook_mock/server.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace webhook_mock {

struct StubMapping {
  std::string id;  // a UUID
  RequestPattern request;
  Response response;
  int priority = 5;  // WireMock's default; lower wins
  std::string scenario_name;
  std::string required_state;
  std::string new_state;
  boost::json::object source;  // as given, with id and uuid added
  std::uint64_t order = 0;     // insertion order, newer wins ties
};

// Parses one stub. Errors point into it ("/response/status").
std::optional<StubMapping> parse_stub(const boost::json::value& spec, std::vector<PatternError>& errors);

// A fresh random UUID (version 4), lower-case.
std::string random_uuid();

struct StubAnswer {
  Response response;
  std::string stub_id;  // empty when no stub matched
  std::string match_error;  // see RecordedRequest::match_error
  boost::json::value response_definition;
};

class StubStore {
 public:
  void add(StubMapping stub);
  bool replace(const std::string& id, StubMapping stub);
  bool remove(const std::string& id);
  std::optional<boost::json::object> get(const std::string& id) const;
  boost::json::array list() const;  // by priority, newest first among equals (as WireMock)
  void clear();
  // Back to the stubs loaded at start (--mappings), scenarios reset.
  void reset();
  void set_initial(std::vector<StubMapping> stubs);

  StubAnswer answer(const RecordedRequest& request, int default_status);
  // The stub nearest to matching `request` (fewest failed parts), for reports.
  std::optional<boost::json::object> nearest(const RecordedRequest& request, std::vector<std::string>& why) const;

  boost::json::array scenarios() const;
  void reset_scenarios();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<StubMapping> stubs_;
  std::vector<StubMapping> initial_;
  std::vector<std::pair<std::string, std::string>> states_;  // scenario -> state
  std::uint64_t next_order_ = 1;

  std::string& state_of(const std::string& scenario);
};

}  // namespace webhook_mock
