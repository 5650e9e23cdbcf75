#include <webhook/rendering/template.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace webhook;
namespace json = boost::json;

namespace {

struct Rendered {
  bool ok;
  std::string text;
  std::string error;
};

std::string record_from(std::string_view text) { return std::string(text); }

// Renders `t` for the record `record` (JSON text) as the engine does: the
// template bound to record paths, the record read for them.
Rendered render(Template& t, std::string_view record, std::string_view api_key = "KEY-123") {
  RecordPaths paths;
  t.bind(paths);
  RecordReader reader;
  std::string error;
  const RecordValues* values = reader.read(paths, record, error);
  BOOST_REQUIRE_MESSAGE(values, error);
  RenderInput input{values, api_key, "my activation", "act-1"};
  Rendered r;
  r.ok = t.render(input, r.text, r.error);
  return r;
}
Rendered render(Template&& t, std::string_view record, std::string_view api_key = "KEY-123") {
  return render(t, record, api_key);
}

Template compiled(std::string_view source, Context context) {
  Template t;
  std::vector<std::string> errors;
  BOOST_REQUIRE_MESSAGE(t.compile(source, context, errors), source);
  return t;
}

Template body(std::string_view source, BodyFormat format = BodyFormat::json) {
  Template t;
  std::vector<std::string> errors;
  BOOST_REQUIRE_MESSAGE(t.compile_body(source, format, errors), source << ": " << (errors.empty() ? "" : errors[0]));
  return t;
}

std::vector<std::string> body_errors(std::string_view source) {
  Template t;
  std::vector<std::string> errors;
  BOOST_CHECK(!t.compile_body(source, BodyFormat::json, errors));
  return errors;
}

const std::string kRecord = record_from(R"({
  "event_id": "e-1",
  "profile": {"id": "u1/../admin", "email": "Ann@Example.com", "age": 42, "vip": true, "tier": null,
              "hostile": "\"}, \"admin\": true, \"x\": {\"", "crlf": "a\r\nX-Injected: 1",
              "address": {"city": "Tokyo"}, "tags": ["a", "b"], "empty": ""},
  "event": {"name": "purchase", "time": "2026-01-02T03:04:05Z", "amount": 12.5, "email": "event@example.com",
            "sku": "S-1"},
  "journey": {"name": "Welcome", "stage": "Day 1"}
})");

}  // namespace

BOOST_AUTO_TEST_SUITE(template_engine)

BOOST_AUTO_TEST_CASE(variables_resolve_in_documented_order) {
  auto t = compiled("{{profile.email}}|{{event.name}}|{{journey.name}}|{{journey.stage}}|{{activation.name}}|"
                    "{{activation.id}}|{{event_id}}|{{event_name}}|{{event_time}}|{{sku}}|{{email}}|"
                    "{{profile.address.city}}|{{journey_name}}|{{journey_stage_name}}",
                    Context::text);
  auto r = render(t, kRecord);
  BOOST_REQUIRE(r.ok);
  // flat {{email}}: the profile attribute wins over the event field
  BOOST_TEST(r.text == "Ann@Example.com|purchase|Welcome|Day 1|my activation|act-1|e-1|purchase|"
                       "2026-01-02T03:04:05Z|S-1|Ann@Example.com|Tokyo|Welcome|Day 1");
}

BOOST_AUTO_TEST_CASE(api_key_in_every_context) {
  BOOST_TEST(render(compiled("k={{auth.api_key}}", Context::url), kRecord, "a b/c").text == "k=a%20b%2Fc");
  BOOST_TEST(render(compiled("Bearer {{auth.api_key}}", Context::header), kRecord).text == "Bearer KEY-123");
  BOOST_TEST(render(body(R"({"key": "{{auth.api_key}}"})"), kRecord).text == R"({"key": "KEY-123"})");
  BOOST_TEST(compiled("{{auth.api_key}}", Context::header).uses_api_key());
}

BOOST_AUTO_TEST_CASE(url_values_stay_one_segment) {
  auto r = render(compiled("https://h/v1/users/{{profile.id}}?q={{profile.hostile}}", Context::url), kRecord);
  BOOST_REQUIRE(r.ok);
  BOOST_TEST(r.text == "https://h/v1/users/u1%2F..%2Fadmin?q=%22%7D%2C%20%22admin%22%3A%20true%2C%20%22x%22%3A%20%7B%22");
}

BOOST_AUTO_TEST_CASE(header_control_characters_fail_the_record) {
  auto r = render(compiled("v={{profile.crlf}}", Context::header), kRecord);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("control character") != std::string::npos);
  BOOST_TEST(r.error.find("profile.crlf") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hostile_value_cannot_change_json_structure) {
  auto t = body(R"({"name": "{{profile.hostile}}", "raw": {{profile.hostile}}, "n": {{profile.age}}})");
  auto r = render(t, kRecord);
  BOOST_REQUIRE(r.ok);
  json::value parsed = json::parse(r.text);
  const auto& o = parsed.as_object();
  BOOST_TEST(o.size() == 3u);
  BOOST_TEST(!o.contains("admin"));
  BOOST_TEST(o.at("name").as_string() == R"("}, "admin": true, "x": {")");
  BOOST_TEST(o.at("raw").as_string() == R"("}, "admin": true, "x": {")");
  BOOST_TEST(o.at("n").as_int64() == 42);
}

BOOST_AUTO_TEST_CASE(whole_value_placeholders_keep_json_types) {
  auto r = render(body(R"({"age": {{profile.age}}, "vip": {{profile.vip}}, "tier": {{profile.tier}},
                          "tags": {{profile.tags}}, "address": {{profile.address}}, "amount": {{event.amount}}})"),
                  kRecord);
  BOOST_REQUIRE(r.ok);
  auto o = json::parse(r.text).as_object();
  BOOST_TEST(o.at("age").as_int64() == 42);
  BOOST_TEST(o.at("vip").as_bool());
  BOOST_TEST(o.at("tier").is_null());
  BOOST_TEST(o.at("tags").as_array().size() == 2u);
  BOOST_TEST(o.at("address").as_object().at("city").as_string() == "Tokyo");
  BOOST_TEST(o.at("amount").as_double() == 12.5);
}

BOOST_AUTO_TEST_CASE(numbers_render_in_their_shortest_exact_form) {
  auto record = record_from(R"({"event": {"a": 123.5, "b": 0.1, "c": 100.0, "d": 1e21, "e": -7, "f": 18446744073709551615,
                                          "g": 1e-7, "h": false, "s": "q\"uote\u0001"}})");
  auto r = render(body(R"({"a": {{event.a}}, "b": {{event.b}}, "c": {{event.c}}, "d": {{event.d}}, "e": {{event.e}},)"
                       R"( "f": {{event.f}}, "g": {{event.g}}, "h": {{event.h}}, "s": {{event.s}}})"),
                  record);
  BOOST_REQUIRE(r.ok);
  // Not Boost.JSON's "1.235E2": what a person (or a strict decimal parser) reads.
  BOOST_TEST(r.text == R"({"a": 123.5, "b": 0.1, "c": 100, "d": 1e+21, "e": -7, "f": 18446744073709551615,)"
                       R"( "g": 1e-07, "h": false, "s": "q\"uote\u0001"})");
  auto o = json::parse(r.text).as_object();
  BOOST_TEST(o.at("a").to_number<double>() == 123.5);
  BOOST_TEST(o.at("b").to_number<double>() == 0.1);
  BOOST_TEST(o.at("s").as_string() == "q\"uote\x01");
  BOOST_TEST(render(compiled("{{event.a}}/{{event.e | json}}", Context::text), record).text == "123.5/-7");
}

// JSON has no infinity and no NaN, yet a record's 1e400 reads as infinity
// (and, with Boost.JSON 1.81, 0e400 as NaN): such a number fails the record,
// naming the variable, wherever it would land, rather than rendering "inf"
// into a JSON body (found by fuzz/fuzz_template.cpp).
BOOST_AUTO_TEST_CASE(numbers_no_double_holds_fail_the_record) {
  auto record = record_from(R"({"event": {"big": 1e400, "small": -1e400, "nan": 0e400, "ok": 1e300,
                                          "deep": {"list": [1, {"x": 1e999}]}}})");
  for (const char* source : {R"({"a": {{event.big}}})", R"({"a": "{{event.small}}"})", R"({"a": {{event.nan}}})",
                             R"({"a": {{event.deep}}})", R"({"a": {{event.big | json}}})"}) {
    auto r = render(body(source), record);
    BOOST_TEST(!r.ok, source);
    BOOST_TEST(r.error.find("no double holds") != std::string::npos, r.error);
  }
  auto r = render(compiled("/v1/{{event.big}}", Context::url), record);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("'{{event.big}}'") != std::string::npos, r.error);
  BOOST_TEST(!render(compiled("{{event.big | default: \"0\"}}", Context::text), record).ok);  // not blank: wrong
  BOOST_TEST(render(body(R"({"a": {{event.ok}}})"), record).text == R"({"a": 1e+300})");
}

// A JSON body of white space alone is the empty body, not a body of white
// space sent as JSON (found by fuzz/fuzz_template.cpp).
// A backslash right before a placeholder inside a JSON string escapes the
// placeholder's first brace: not JSON, whatever the value. It passed the
// check once, because a value standing as "null" made "\n" of it, and then
// rendered a body that was not JSON (found by fuzz/fuzz_template.cpp).
BOOST_AUTO_TEST_CASE(a_backslash_before_a_placeholder_in_a_string_is_refused) {
  auto errors = body_errors(R"({"a": "x\{{event.name}}"})");
  BOOST_REQUIRE(!errors.empty());
  BOOST_TEST(errors[0].find("backslash") != std::string::npos, errors[0]);
  BOOST_TEST(!body_errors(R"({"a": "\{{profile.id}}", "b": 1})").empty());
  // A "}}" inside a default's quotes does not end the placeholder, for the
  // JSON scan as for the template: the next placeholder stays in its string
  // (it was taken for a whole value, and rendered as a string in a string).
  BOOST_TEST(render(body(R"({"a": {{profile.nope | default: "}}"}}, "b": "{{event.name}}"})"), kRecord).text ==
             R"({"a": "}}", "b": "purchase"})");
  // An escaped backslash is a backslash: the placeholder after it stands in the string.
  BOOST_TEST(render(body(R"({"a": "x\\{{event.name}}"})"), kRecord).text == R"({"a": "x\\purchase"})");
}

BOOST_AUTO_TEST_CASE(a_json_body_of_white_space_is_empty) {
  Template t = body(" \t\r\n ");
  BOOST_TEST(t.empty());
  BOOST_TEST(render(t, kRecord).text == "");
}

BOOST_AUTO_TEST_CASE(numbers_read_the_same_at_any_depth) {
  auto record = record_from(R"({"profile": {"place": {"lat": 35.5, "tags": [1.5, 2, "a\"b", null, true], "e": {}},
                                            "note": "say \"hi\"\n"}})");
  auto r = render(body(R"({"place": {{profile.place}}})"), record);
  BOOST_REQUIRE(r.ok);
  BOOST_TEST(r.text == R"({"place": {"lat":35.5,"tags":[1.5,2,"a\"b",null,true],"e":{}}})");
  BOOST_TEST(json::parse(r.text).at("place").at("tags").at(0).as_double() == 1.5);
  BOOST_TEST(render(compiled("{{profile.place | json}}", Context::text), record).text ==
             R"({"lat":35.5,"tags":[1.5,2,"a\"b",null,true],"e":{}})");
  BOOST_TEST(render(compiled("{{profile.note | upper | json}}", Context::text), record).text == R"("SAY \"HI\"\n")");
}

BOOST_AUTO_TEST_CASE(templates_of_constants_are_known_as_such) {
  BOOST_TEST(!compiled("Bearer {{auth.api_key}} {{activation.name}}", Context::header).depends_on_record());
  BOOST_TEST(!compiled("https://example.com/fixed", Context::url).depends_on_record());
  BOOST_TEST(compiled("{{auth.api_key}}/{{profile.id}}", Context::url).depends_on_record());
  BOOST_TEST(compiled("{{email}}", Context::text).depends_on_record());
  BOOST_TEST(compiled("{{journey.name}}", Context::text).depends_on_record());
}

BOOST_AUTO_TEST_CASE(control_characters_in_json_strings_are_escaped) {
  auto r = render(body(R"({"v": "{{profile.crlf}}"})"), kRecord);
  BOOST_REQUIRE(r.ok);
  BOOST_TEST(r.text == R"({"v": "a\r\nX-Injected: 1"})");
  BOOST_TEST(json::parse(r.text).as_object().at("v").as_string() == "a\r\nX-Injected: 1");
}

BOOST_AUTO_TEST_CASE(form_bodies_are_form_encoded) {
  auto r = render(body("email={{profile.email}}&h={{profile.hostile}}", BodyFormat::form), kRecord);
  BOOST_REQUIRE(r.ok);
  BOOST_TEST(r.text == "email=Ann%40Example.com&h=%22%7D%2C+%22admin%22%3A+true%2C+%22x%22%3A+%7B%22");
}

BOOST_AUTO_TEST_CASE(missing_variable_fails_unless_defaulted) {
  auto r = render(compiled("{{profile.nope}}", Context::text), kRecord);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("profile.nope") != std::string::npos);
  BOOST_TEST(render(compiled(R"({{profile.nope | default: "basic"}})", Context::text), kRecord).text == "basic");
  BOOST_TEST(render(compiled(R"({{profile.tier | default: "basic"}})", Context::text), kRecord).text == "basic");
  BOOST_TEST(render(compiled(R"({{profile.empty | default: "x"}})", Context::text), kRecord).text == "x");
  BOOST_TEST(render(compiled(R"({{profile.age | default: "x"}})", Context::text), kRecord).text == "42");
  // a default inside a JSON whole value becomes a string
  BOOST_TEST(render(body(R"({"t": {{profile.nope | default: "a\"b"}}})"), kRecord).text == R"({"t": "a\"b"})");
}

BOOST_AUTO_TEST_CASE(filters) {
  BOOST_TEST(render(compiled("{{profile.email | lower}}", Context::text), kRecord).text == "ann@example.com");
  BOOST_TEST(render(compiled("{{profile.email | upper}}", Context::text), kRecord).text == "ANN@EXAMPLE.COM");
  BOOST_TEST(render(compiled("{{profile.email | lower | sha256}}", Context::text), kRecord).text ==
             sha256_hex("ann@example.com"));
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(render(compiled("{{profile.email | urlencode}}", Context::text), kRecord).text == "Ann%40Example.com");
  BOOST_TEST(render(compiled("{{profile.tags | json}}", Context::text), kRecord).text == R"(["a","b"])");
  BOOST_TEST(render(body(R"({"s": "{{profile.tags | json}}"})"), kRecord).text == R"({"s": "[\"a\",\"b\"]"})");
}

BOOST_AUTO_TEST_CASE(syntax_errors_are_reported) {
  std::vector<std::string> errors;
  Template t;
  BOOST_TEST(!t.compile("{{profile.email", Context::text, errors));
  BOOST_TEST(errors.back().find("unclosed") != std::string::npos);
  BOOST_TEST(!t.compile("{{ }}", Context::text, errors));
  BOOST_TEST(!t.compile("{{profile.email | shout}}", Context::text, errors));
  BOOST_TEST(errors.back().find("unknown filter 'shout'") != std::string::npos);
  BOOST_TEST(!t.compile("{{auth.secret}}", Context::text, errors));
  BOOST_TEST(errors.back().find("auth.api_key") != std::string::npos);
  BOOST_TEST(!t.compile("{{foo.bar}}", Context::text, errors));
  BOOST_TEST(errors.back().find("unknown variable 'foo.bar'") != std::string::npos);
  BOOST_TEST(!t.compile("{{journey.nope}}", Context::text, errors));
  BOOST_TEST(!t.compile("{{profile.a | default}}", Context::text, errors));
}

BOOST_AUTO_TEST_CASE(json_body_must_be_json_once_placeholders_are_values) {
  BOOST_TEST(!body_errors(R"({"a": {{profile.age}})").empty());           // unclosed object
  BOOST_TEST(!body_errors(R"({"a": {{profile.age}}{{profile.vip}}})").empty());  // two values
  BOOST_TEST(!body_errors(R"({ {{profile.id}}: 1 })").empty());           // value as key
  BOOST_TEST(!body_errors(R"({"a": {{profile.age}}.5})").empty());
  BOOST_TEST(!body_errors("not json").empty());
  body(R"({"key": "{{profile.id}}", "n": {{profile.age}}, "list": [{{profile.age}}, "{{event.name}}"]})");
  body("");  // an empty body is allowed
}

// What a JSON string placeholder must insert for `s`, a byte at a time.
std::string escaped_one_by_one(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static constexpr char hex[] = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

BOOST_AUTO_TEST_CASE(every_byte_is_escaped_the_same_at_every_offset) {
  // Strings are scanned sixteen bytes at a time: each ASCII byte, and a few
  // UTF-8 characters, at every offset of strings shorter and longer than
  // one, two and three blocks.
  std::vector<std::string> specials;
  for (int c = 0; c < 0x80; ++c) specials.emplace_back(1, static_cast<char>(c));
  specials.push_back("\xc3\xa9");          // e acute
  specials.push_back("\xf0\x9f\x98\x80");  // an emoji
  std::vector<std::string> strings;
  for (const auto& special : specials) {
    for (std::size_t length : {1, 15, 16, 17, 31, 32, 33, 47, 48, 49}) {
      for (std::size_t at = 0; at + 1 <= length; ++at) {
        std::string text(length - 1, 'a');
        text.insert(at, special);
        strings.push_back(std::move(text));
      }
    }
  }
  std::string all, reversed;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  reversed.assign(all.rbegin(), all.rend());
  strings.push_back(all);
  strings.push_back(reversed);
  strings.push_back(std::string(40, '"'));
  strings.push_back(std::string(40, '\x01'));

  Template t = body(R"({"v": "{{profile.s}}"})");
  for (const auto& text : strings) {
    json::object record{{"profile", json::object{{"s", text}}}};
    auto r = render(t, json::serialize(record));
    BOOST_REQUIRE(r.ok);
    const std::string expected = R"({"v": ")" + escaped_one_by_one(text) + R"("})";
    if (r.text != expected) {
      BOOST_TEST(r.text == expected);
      break;  // one failure tells enough
    }
    BOOST_TEST(json::parse(r.text).at("v").as_string() == text);
  }
}

// A value that is exactly "." or ".." (or nothing) in a path segment would
// be resolved by the receiver (and by the URL guard), so that data chose the
// request's path: /hooks/users/../orders/x/cancel went out as
// /hooks/orders/x/cancel. Such a segment fails the record, naming the
// variable; in the query a dot is data like any other.
BOOST_AUTO_TEST_CASE(a_value_that_renders_a_dot_segment_fails_the_record) {
  auto t = compiled("https://h/hooks/users/{{profile.id}}/orders/x/cancel?next={{profile.next}}", Context::url);
  for (const char* id : {"..", ".", ""}) {
    auto r = render(t, R"({"profile": {"id": ")" + std::string(id) + R"(", "next": ".."}})");
    BOOST_TEST(!r.ok, id);
    const std::string expected = std::string(id).empty() ? "profile.id renders an empty segment in the URL path"
                                                         : "profile.id renders a dot segment in the URL path";
    BOOST_TEST(r.error.find(expected) == 0u, r.error);
  }
  // Filters and literal text around the value count: the segment is what is checked.
  BOOST_TEST(!render(compiled("https://h/a/{{profile.id | urlencode}}/b", Context::url), R"({"profile": {"id": ".."}})").ok);
  BOOST_TEST(!render(compiled("https://h/a/.{{profile.id}}/b", Context::url), R"({"profile": {"id": "."}})").ok);
  BOOST_TEST(!render(compiled("https://h/a/{{profile.id | default: \"..\"}}", Context::url), R"({"profile": {}})").ok);
  // What stays one segment, or is not in the path, goes out.
  for (const char* id : {"...", "u1/..", "%2E%2E", "a.", ".b"}) {
    auto r = render(t, R"({"profile": {"id": ")" + std::string(id) + R"(", "next": ".."}})");
    BOOST_TEST(r.ok, id << ": " << r.error);
  }
  auto r = render(t, R"({"profile": {"id": "u1/..", "next": ".."}})");
  BOOST_TEST(r.text == "https://h/hooks/users/u1%2F../orders/x/cancel?next=..");
  BOOST_TEST(render(t, R"({"profile": {"id": "%2E%2E", "next": "."}})").text ==
             "https://h/hooks/users/%252E%252E/orders/x/cancel?next=.");
}

// urlencode in a URL or form is the encoding itself, not a value to encode
// again ("a b" came out as "a%2520b").
BOOST_AUTO_TEST_CASE(urlencode_is_not_encoded_twice) {
  const auto record = R"({"profile": {"name": "a b/c&d"}})";
  BOOST_TEST(render(compiled("https://h/v1/{{profile.name | urlencode}}", Context::url), record).text ==
             "https://h/v1/a%20b%2Fc%26d");
  BOOST_TEST(render(compiled("https://h/v1/{{profile.name | urlencode | lower}}", Context::url), record).text ==
             "https://h/v1/a%20b%2fc%26d");
  BOOST_TEST(render(body("n={{profile.name | urlencode}}", BodyFormat::form), record).text == "n=a%20b%2Fc%26d");
  // A filter after it that can bring back what a URL cannot hold is encoded.
  BOOST_TEST(render(compiled("https://h/v1/{{profile.name | urlencode | json}}", Context::url), record).text ==
             "https://h/v1/%22a%2520b%252Fc%2526d%22");
  BOOST_TEST(render(compiled("https://h/v1/{{profile.name}}", Context::url), record).text == "https://h/v1/a%20b%2Fc%26d");
  // Outside a URL, urlencode's output is text like any other.
  BOOST_TEST(render(body(R"({"n": "{{profile.name | urlencode}}"})"), record).text == R"({"n": "a%20b%2Fc%26d"})");
}

// Integers that neither int64 nor uint64 holds are written as they were,
// not rounded through a double (-9223372036854775809 came out as ...808, a
// 30-digit id as 1.2345678901234568e+29), in every place a value lands.
BOOST_AUTO_TEST_CASE(integers_beyond_64_bits_are_written_as_they_were) {
  const auto record = R"({"event": {"low": -9223372036854775809, "id": 123456789012345678901234567890,
                           "obj": {"ids": [18446744073709551616, 1.5e300, -1], "n": 99999999999999999999999}}})";
  auto r = render(body(R"({"low": {{event.low}}, "id": {{event.id}}, "s": "{{event.id}}", "obj": {{event.obj}}})"),
                  record);
  BOOST_REQUIRE_MESSAGE(r.ok, r.error);
  BOOST_TEST(r.text == R"({"low": -9223372036854775809, "id": 123456789012345678901234567890, )"
                       R"("s": "123456789012345678901234567890", )"
                       R"("obj": {"ids":[18446744073709551616,1.5e+300,-1],"n":99999999999999999999999}})");
  BOOST_TEST(json::parse(r.text).is_object());
  BOOST_TEST(render(compiled("https://h/v1/{{event.id}}", Context::url), record).text ==
             "https://h/v1/123456789012345678901234567890");
  BOOST_TEST(render(compiled("{{event.low | json}} {{event.id | upper}}", Context::text), record).text ==
             "-9223372036854775809 123456789012345678901234567890");
  BOOST_TEST(render(compiled("{{event.id | sha256}}", Context::text), record).text ==
             sha256_hex("123456789012345678901234567890"));
}

BOOST_AUTO_TEST_SUITE_END()
