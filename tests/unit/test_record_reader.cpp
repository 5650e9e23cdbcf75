#include <webhook/rendering/record_reader.hpp>
#include "support/same_record_value.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace webhook;
namespace json = boost::json;

namespace {

using Path = std::vector<std::string_view>;

// The reference: the whole record parsed into a document, the path looked
// up key by key (the last of repeated keys stands; arrays are not entered).
const json::value* find_in_document(const json::value& record, const Path& path) {
  const json::value* at = &record;
  for (std::string_view key : path) {
    const json::object* object = at->if_object();
    if (object == nullptr) return nullptr;
    auto it = object->find(key);
    if (it == object->end()) return nullptr;
    at = &it->value();
  }
  return at;
}

// Reads `text` for `paths` and checks every path against the document:
// present in both or in neither, and equal when present (same kind and
// value, serialized alike).
void check_against_document(RecordReader& reader, const std::vector<Path>& paths, const std::string& text) {
  RecordPaths table;
  std::vector<int> slots;
  for (const auto& path : paths) slots.push_back(table.slot(path));
  std::string error;
  const RecordValues* values = reader.read(table, text, error);
  BOOST_TEST_CONTEXT("record " << text) {
    BOOST_REQUIRE_MESSAGE(values, error);
    json::value document = json::parse(text);
    for (std::size_t i = 0; i < paths.size(); ++i) {
      const json::value* expected = find_in_document(document, paths[i]);
      const json::value* got = values->get(slots[i]);
      std::string name;
      for (auto key : paths[i]) {
        if (!name.empty()) name += '.';
        name.append(key);
      }
      BOOST_TEST_CONTEXT("path " << name) {
        BOOST_TEST((got != nullptr) == (expected != nullptr));
        if (got && expected) {
          BOOST_TEST(test_support::same_record_value(*got, *expected),
                     json::serialize(*got) << " against " << json::serialize(*expected));
        }
      }
    }
  }
}

const std::vector<Path> kPaths = {
    {"event_id"},           {"profile", "id"},      {"profile", "email"},         {"profile", "address"},
    {"profile", "address", "city"}, {"profile", "tags"}, {"profile", "tags", "id"}, {"event", "amount"},
    {"event", "n"},         {"event", "big"},       {"event", "ok"},              {"event", "none"},
    {"journey", "name"},    {"journey", "stage"},   {"event", "deep", "a", "b", "c"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(record_reader)

BOOST_AUTO_TEST_CASE(fixed_slots_come_first_and_paths_share_slots) {
  RecordPaths paths;
  BOOST_TEST(paths.slots() == std::size_t{RecordPaths::kFixedSlots});
  BOOST_TEST(paths.slot({"event_id"}) == RecordPaths::kEventId);
  BOOST_TEST(paths.slot({"webhook_id"}) == RecordPaths::kWebhookId);
  BOOST_TEST(paths.slot({"journey", "name"}) == RecordPaths::kJourneyName);
  BOOST_TEST(paths.slot({"journey", "stage"}) == RecordPaths::kJourneyStage);
  int email = paths.slot({"profile", "email"});
  BOOST_TEST(email == RecordPaths::kFixedSlots);
  BOOST_TEST(paths.slot({"profile", "email"}) == email);  // the same path, the same slot
  BOOST_TEST(paths.slot({"event", "email"}) == email + 1);
  BOOST_TEST(paths.slots() == std::size_t{RecordPaths::kFixedSlots + 2});
}

BOOST_AUTO_TEST_CASE(values_match_a_document_of_the_record) {
  RecordReader reader;  // one reader for every record, as the engine keeps one per thread
  const std::vector<std::string> records = {
      // Every path present, every kind of value.
      R"({"event_id": "e-1", "profile": {"id": "u1", "email": "a@b.c", "address": {"city": "Tokyo", "zip": "100"},
          "tags": ["a", {"id": 1}]}, "event": {"amount": 12.5, "n": -7, "big": 18446744073709551615, "ok": true,
          "none": null, "deep": {"a": {"b": {"c": [1, {"x": 2.5e-3}]}}}}, "journey": {"name": "J", "stage": "S"},
          "other": {"profile": {"id": "not this one"}}})",
      // Nothing wanted present; sections of the wrong kind.
      R"({"profile": "u1", "event": [1, 2], "journey": null, "event_id": {"nested": ["e", 1]}})",
      // A wanted object that is a string; a wanted array; an empty object.
      R"({"profile": {"address": "1 Main St", "tags": [], "id": {}}})",
      // Repeated keys: the last stands, whatever the first left.
      R"({"profile": {"id": "first", "address": {"city": "A"}}, "profile": {"email": "second"}})",
      R"({"profile": "flat", "profile": {"id": "object after string"}})",
      R"({"profile": {"address": {"city": "A"}, "address": "now a string"}})",
      R"({"profile": {"address": "a string", "address": {"city": "B"}}})",
      R"({"profile": {"id": 1, "id": 2, "id": 3}, "event": {"n": 1}, "event": {"n": 2}})",
      // Escapes in keys and values: a key spelled with escapes is the same key.
      R"({"pro\u0066ile": {"\u0069d": "a\"b\\c\u00e9\ud83d\ude00\n", "email": "x\/y"}, "event": {"amount": 1E+2}})",
      // Numbers at their limits.
      R"({"event": {"amount": -0.0, "n": -9223372036854775808, "big": 9223372036854775808, "ok": false}})",
      R"({"event": {"amount": 1.7976931348623157e308, "n": 0, "big": 123456789012345678901234567890}})",
      // Empty record; whitespace everywhere.
      R"({})",
      " \t\r\n{ \"profile\" : { \"id\" : \"spaced\" } } \n",
  };
  for (const auto& text : records) check_against_document(reader, kPaths, text);
}

BOOST_AUTO_TEST_CASE(long_strings_and_keys_arrive_in_parts_and_read_whole) {
  // Strings with escapes longer than the parser's buffer reach the handler
  // in parts: the wanted ones must be joined, in keys as in values.
  std::string long_value;
  for (int i = 0; i < 5000; ++i) long_value += "ab\\\"c\\u00e9";
  std::string long_key(3000, 'k');
  std::string escaped_key;
  for (std::size_t i = 0; i < long_key.size(); ++i) escaped_key += "\\u006b";  // k, escaped
  const std::string text = R"({"profile": {"email": ")" + long_value + R"(", ")" + escaped_key + R"(": 1, "id": ")" +
                           long_value + R"("}, "event": {")" + escaped_key + R"(": {"n": ")" + long_value + R"("}}})";
  RecordReader reader;
  check_against_document(reader, {{"profile", "email"}, {"profile", "id"}, {"profile", long_key}, {"event", long_key},
                                  {"event", long_key, "n"}},
                         text);
}

BOOST_AUTO_TEST_CASE(nothing_is_left_from_the_record_before) {
  RecordPaths paths;
  int id = paths.slot({"profile", "id"});
  RecordReader reader;
  std::string error;
  const RecordValues* first = reader.read(paths, R"({"event_id": "e-1", "profile": {"id": "u1"}})", error);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->get(id)->as_string() == "u1");
  const RecordValues* second = reader.read(paths, R"({"profile": {}})", error);
  BOOST_REQUIRE(second);
  BOOST_TEST(second->get(id) == nullptr);
  BOOST_TEST(second->get(RecordPaths::kEventId) == nullptr);
  // A failed read, then a good one.
  BOOST_TEST(reader.read(paths, R"({"profile": {"id": "u2", )", error) == nullptr);
  const RecordValues* third = reader.read(paths, R"({"profile": {"id": "u3"}})", error);
  BOOST_REQUIRE(third);
  BOOST_TEST(third->get(id)->as_string() == "u3");
  // Another step's paths with the same reader.
  RecordPaths other;
  int email = other.slot({"event", "email"});
  const RecordValues* fourth = reader.read(other, R"({"event": {"email": "e@x"}, "profile": {"id": "u4"}})", error);
  BOOST_REQUIRE(fourth);
  BOOST_TEST(fourth->get(email)->as_string() == "e@x");
  BOOST_TEST(fourth->get(-1) == nullptr);
  BOOST_TEST(fourth->get(1000) == nullptr);
}

BOOST_AUTO_TEST_CASE(bad_records_get_the_errors_a_document_parser_gives) {
  RecordPaths paths;
  paths.slot({"profile", "id"});
  RecordReader reader;
  for (std::string text : {"", "{", R"({"a":})", R"({"a": 1} x)", R"({"a": 1,})", "{'a': 1}", "{\"a\": \"\xff\"}",
                           R"({"a": 01})", R"({"profile": {"id": "u1"})", "nul"}) {
    boost::system::error_code ec;
    json::parse(text, ec);
    BOOST_REQUIRE(ec);
    std::string error;
    BOOST_TEST_CONTEXT("record " << text) {
      BOOST_TEST(reader.read(paths, text, error) == nullptr);
      BOOST_TEST(error == "record is not valid JSON: " + ec.message());
    }
  }
  for (std::string text : {"[1, 2]", R"("a string")", "5", "null", "[{\"profile\": {\"id\": 1}}]"}) {
    std::string error;
    BOOST_TEST_CONTEXT("record " << text) {
      BOOST_TEST(reader.read(paths, text, error) == nullptr);
      BOOST_TEST(error == "record must be a JSON object");
    }
  }
  // Nesting: as deep as a document parser allows, and no deeper.
  auto nested = [](int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) text += R"({"a": )";
    text += "1";
    for (int i = 0; i < depth; ++i) text += "}";
    return text;
  };
  for (int depth : {31, 32, 33, 200}) {
    boost::system::error_code ec;
    json::parse(nested(depth), ec);
    std::string error;
    const RecordValues* values = reader.read(paths, nested(depth), error);
    BOOST_TEST_CONTEXT("depth " << depth) {
      BOOST_TEST((values != nullptr) == !ec);
      if (ec) BOOST_TEST(error == "record is not valid JSON: " + ec.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(random_records_read_as_their_documents) {
  // Records made at random from a small vocabulary, so that wanted keys,
  // repeated keys, wanted objects, arrays and every kind of value meet in
  // many arrangements. Seeded: a failure repeats.
  std::mt19937 random(20261127);
  auto pick = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::vector<std::string> keys = {"profile", "event", "journey", "event_id", "webhook_id", "id", "email",
                                         "address", "city", "tags", "name", "stage", "n", "a", "b", "c"};
  const std::vector<std::string> scalars = {"\"x\"", "\"e\\u0301\\n\\\"q\\\"\"", "0", "-12", "1.5e3", "18446744073709551615",
                                            "-9223372036854775809", "true", "false", "null", "\"\""};
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    const std::size_t kind = depth >= 5 ? 0 : pick(4);
    if (kind == 0) return scalars[pick(scalars.size())];
    if (kind == 1) {
      std::string text = "[";
      for (std::size_t i = 0, n = pick(4); i < n; ++i) {
        if (i > 0) text += ',';
        text += value(depth + 1);
      }
      return text + "]";
    }
    std::string text = "{";
    for (std::size_t i = 0, n = pick(6); i < n; ++i) {
      if (i > 0) text += ", ";
      text.append(1, '"').append(keys[pick(keys.size())]).append("\": ");
      text += value(depth + 1);
    }
    return text + "}";
  };
  std::vector<Path> paths = kPaths;
  paths.push_back({"profile", "address"});
  paths.push_back({"profile", "a", "b"});
  paths.push_back({"event", "a"});
  paths.push_back({"event", "a", "c"});
  paths.push_back({"profile", "profile", "id"});
  RecordReader reader;
  for (int i = 0; i < 3000; ++i) {
    std::string text = "{";
    for (std::size_t k = 0, n = 1 + pick(6); k < n; ++k) {
      if (k > 0) text += ", ";
      text.append(1, '"').append(keys[pick(5)]).append("\": ");
      text += value(1);
    }
    text += "}";
    check_against_document(reader, paths, text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
