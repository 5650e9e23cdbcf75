// JSON text written by hand, without allocating per value: what the body
// template writes for a record's values.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace webhook {

// `s` escaped for the inside of a JSON string (RFC 8259 section 7).
void append_json_escaped(std::string_view s, std::string& out);
// `s` as a JSON string: quoted and escaped.
void append_json_string(std::string_view s, std::string& out);
// A value as compact JSON text: integers as they are, doubles in their
// shortest round-trip form ("123.5", not Boost.JSON's "1.235E2"), at any
// depth, so a number reads the same alone or inside an object or array.
void append_json(const boost::json::value& v, std::string& out);
// False when `v` is, or holds, a double that is not finite.
bool finite_numbers(const boost::json::value& v);

}  // namespace webhook
