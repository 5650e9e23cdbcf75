// delivery.retry: the exponential backoff's bounds, or an explicit
// schedule of waits; a maximum age; the statuses retried besides the usual.
#pragma once

#include "config_checker.hpp"

#include <boost/json/object.hpp>

#include <string>

namespace webhook::config_detail {

// `retry_count_at`: where advanced.webhook_retry_count was given ("" when it
// was not); a schedule refuses it (its length is the count).
void parse_retry(Checker& check, const boost::json::object& delivery, const std::string& retry_count_at,
                 Config& config);

}  // namespace webhook::config_detail
