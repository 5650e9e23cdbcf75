// The encodings templates apply, written by hand without allocating per
// value: JSON text for a record's values, percent-encoding for URLs and
// forms. The redaction uses the same functions, so that it finds a secret
// in exactly the form a template made of it.
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
// `s` with every byte but RFC 3986's unreserved ones as %XX; with `form`,
// a space as '+' (application/x-www-form-urlencoded).
void append_percent_encoded(std::string_view s, std::string& out, bool form);

}  // namespace webhook
