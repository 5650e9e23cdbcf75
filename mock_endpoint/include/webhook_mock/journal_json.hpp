// Journal entries in WireMock's JSON shapes: LoggedRequest (what find and
// unmatched return) and ServeEvent (what GET /__admin/requests returns).
#pragma once

#include "webhook_mock/recorded_request.hpp"

#include <boost/json/value.hpp>

#include <optional>

namespace webhook_mock {

// `base_url` gives absoluteUrl, host, scheme and port ("http://127.0.0.1:8080").
boost::json::object logged_request_json(const RecordedRequest& request, const std::string& base_url);
// `response_definition` and `stub` (null when none) come from the stub store.
boost::json::object serve_event_json(const RecordedRequest& request, const std::string& base_url,
                                     boost::json::value response_definition, const boost::json::value& stub);

// The other way: a serve event from GET /__admin/requests (webhook-mock's or
// WireMock's) back into a recorded request, so that patterns and checks run
// on an external endpoint's journal as on the embedded one.
std::optional<RecordedRequest> recorded_from_serve_event(const boost::json::value& event);

// Whether `text` is valid UTF-8 (RFC 3629: no overlong form, no surrogate,
// nothing past U+10FFFF).
bool is_utf8(std::string_view text);
// `text` with each ill-formed part replaced by U+FFFD, as a decoder (Java's,
// WireMock's) reads it: what may go into a JSON answer, whatever the bytes
// a request carried.
std::string utf8_repaired(std::string_view text);
// Whether every string and key of `value` is valid UTF-8.
bool all_utf8(const boost::json::value& value);
// The same repair for every string and key of `value`, in place.
void repair_utf8(boost::json::value& value);
std::string base64_encode(std::string_view data);
// nullopt when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);
std::string iso8601(std::int64_t unix_ms);

}  // namespace webhook_mock
