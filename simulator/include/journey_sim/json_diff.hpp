// What differs between an expected JSON document (an equalToJson pattern)
// and the one sent, as lines a person reads: "/user/tier: expected
// \"silver\", sent \"gold\"".
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace journey_sim {

struct JsonDiffOptions {
  bool ignore_extra_elements = false;  // members sent but not expected are not differences
  bool ignore_array_order = false;     // arrays compare as multisets (only whether each element is there)
  std::size_t limit = 10;              // lines at most; one more says how many were left out
  std::vector<std::string> secrets;    // never cut in two when a value is shortened (the masker finds them whole)
};

// The first `limit` characters of `text`, or fewer: a cut never falls
// inside one of `secrets`, so that a report's masker still finds it whole.
std::string shorten(const std::string& text, std::size_t limit, const std::vector<std::string>& secrets);

// Each difference at its JSON pointer; numbers compare by value (1 and 1.0
// are equal, as equalToJson has them). Empty when the two are equal.
std::vector<std::string> json_diff(const boost::json::value& expected, const boost::json::value& sent,
                                   const JsonDiffOptions& options = {});

}  // namespace journey_sim
