// A value the record reader kept, against the same value in Boost.JSON's
// document of the record: equal, but for integers beyond int64 and uint64,
// which the reader keeps as their text (record_reader.hpp) where the
// document has the nearest double.
#pragma once

#include <webhook/rendering/record_reader.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <string>

namespace test_support {

inline bool same_record_value(const boost::json::value& got, const boost::json::value& expected) {
  namespace json = boost::json;
  if (const auto digits = webhook::integer_text(got); !digits.empty()) {
    if (!expected.is_double()) return false;
    const double value = std::strtod(std::string(digits).c_str(), nullptr);
    return value == expected.get_double() || (std::isinf(value) && std::isinf(expected.get_double()));
  }
  if (got.kind() != expected.kind()) return false;
  if (const auto* array = got.if_array()) {
    const auto& other = expected.get_array();
    if (array->size() != other.size()) return false;
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!same_record_value((*array)[i], other[i])) return false;
    }
    return true;
  }
  if (const auto* object = got.if_object()) {
    const auto& other = expected.get_object();
    if (object->size() != other.size()) return false;
    for (auto a = object->begin(), b = other.begin(); a != object->end(); ++a, ++b) {
      if (a->key() != b->key() || !same_record_value(a->value(), b->value())) return false;
    }
    return true;
  }
  // Equal, or both NaN where the other is: Boost.JSON 1.81 reads 0e400 as
  // NaN, which equals nothing, itself included. Their texts then agree.
  return got == expected || json::serialize(got) == json::serialize(expected);
}

}  // namespace test_support
