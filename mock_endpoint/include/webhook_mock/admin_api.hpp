// The admin API's request handler (internal to the server).
#pragma once

#include "webhook_mock/journal.hpp"
#include "webhook_mock/stubs.hpp"

#include <string>

namespace webhook_mock {

struct AdminTargets {
  Journal& journal;
  StubStore& stubs;
  std::string base_url;
};

// A JSON answer with its Content-Type.
Response json_response(int status, const boost::json::value& body);
// The first value of query parameter `name`, decoded; "" when absent.
std::string query_value(std::string_view query, std::string_view name);

// 422 "regular expression over budget", `where` naming the request and part.
Response over_budget_response(const std::string& where);

// Answers a request under /__admin/.
Response handle_admin(const RecordedRequest& request, AdminTargets& targets);

// Answers a request under /__webhooks/ (duplicates, order, signatures, summary).
Response handle_webhook_checks(const RecordedRequest& request, const Journal& journal);

}  // namespace webhook_mock
