// The record reader parses what the runner submits in one pass that keeps
// only the wanted values. Fuzzed against Boost.JSON's document parser: the
// same texts are valid, and every wanted path holds the value the document
// holds there (a key given twice: the last one, as in the document).
#include "fuzz_check.hpp"
#include <webhook/rendering/record_reader.hpp>
#include "support/same_record_value.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
using webhook::RecordPaths;
using webhook::RecordReader;

namespace {

// Paths at several depths, sharing prefixes, one inside another: short keys,
// so that the fuzzer finds them.
const std::vector<std::vector<std::string_view>> kPaths = {
    {"a"}, {"b"}, {"a", "b"}, {"a", "c"}, {"a", "b", "c"}, {"b", "a"}, {"profile", "email"}, {""}, {"a", ""},
};

// The value at `path` in `document`, found as a template variable is: a
// chain of object keys, arrays not entered.
const json::value* lookup(const json::value& document, const std::vector<std::string_view>& path) {
  const json::value* at = &document;
  for (std::string_view key : path) {
    const json::object* object = at->if_object();
    if (object == nullptr) return nullptr;
    at = object->if_contains(json::string_view(key.data(), key.size()));
    if (at == nullptr) return nullptr;
  }
  return at;
}

bool same(const json::value& a, const json::value& b) { return test_support::same_record_value(a, b); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static RecordPaths paths = [] {
    RecordPaths p;
    for (const auto& path : kPaths) p.slot(path);
    return p;
  }();
  static RecordReader reader;  // reused, as the engine does: nothing may leak from one record to the next

  std::string error;
  const webhook::RecordValues* values = reader.read(paths, text, error);
  boost::system::error_code ec;
  json::value document = json::parse(json::string_view(text.data(), text.size()), ec);
  const bool valid = !ec && document.is_object();
  FUZZ_CHECK(valid == (values != nullptr), "the reader and the document parser disagree on validity");
  if (!valid) {
    FUZZ_CHECK(!error.empty(), "a refused record without a reason");
    return 0;
  }
  for (const auto& path : kPaths) {
    const json::value* expected = lookup(document, path);
    const json::value* got = values->get(paths.slot(path));
    FUZZ_CHECK((expected == nullptr) == (got == nullptr), "a path found in one and not the other");
    if (expected != nullptr) FUZZ_CHECK(same(*expected, *got), "a path holds another value than in the document");
  }
  return 0;
}
