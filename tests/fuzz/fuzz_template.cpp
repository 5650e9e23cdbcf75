// Templates come from the activation's configuration; the values rendered
// into them come from records. Fuzzed for: no crash on any source, every
// refusal says why, and data never changes the shape of the request: a JSON
// body that compiled renders as JSON; a URL or form placeholder inserts only
// unreserved bytes and escapes; a header placeholder never a line break.
//
// Input: byte 0 picks the context; the rest is the template source, then a
// 0 byte, then the record (a JSON object; a fixed one when it is not).
#include "fuzz_check.hpp"
#include <webhook/rendering/template.hpp>
#include "webhook_mock/journal_json.hpp"

#include <boost/json/parse.hpp>

#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
using namespace webhook;

namespace {

constexpr std::string_view kRecord = R"({"event_id": "e-1", "profile": {"id": "u1/../a?b#c d", "email": "A@b.C",
  "n": 42, "x": 1.5e300, "t": true, "z": null, "h": "\"}, \"admin\": true, {\"", "crlf": "a\r\nX-Injected: 1",
  "list": [1, "two", {"three": 3}], "o": {"k": "v"}, "u": "\u0000\u2028\ud83d\ude00", "inf": 1e400, "deep": [1, {"nan": 0e400}],
  "dots": "..", "dot": ".", "pct": "%2E%2E", "big": -9223372036854775809},
  "event": {"name": "purchase", "amount": 12.5}, "journey": {"name": "J", "stage": "S"}})";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Each byte of `rendered` is one the source has, or one an escape makes.
bool only_escaped_bytes(std::string_view source, std::string_view rendered, bool form) {
  std::array<bool, 256> in_source{};
  for (unsigned char c : source) in_source[c] = true;
  for (unsigned char c : rendered) {
    if (!in_source[c] && !unreserved(c) && c != '%' && !(form && c == '+')) return false;
  }
  return true;
}

// The path segments of a URL ("/a/../b?q" -> a, .., b) that are dot
// segments once percent-decoded.
std::size_t dot_segments(std::string_view url) {
  const std::size_t scheme = url.find("://");
  std::string_view path = url.substr(scheme == std::string_view::npos ? 0 : scheme + 3);
  path = path.substr(0, path.find_first_of("?#"));
  std::size_t count = 0;
  for (std::size_t at = path.find('/'); at != std::string_view::npos;) {
    const std::size_t end = path.find('/', at + 1);
    std::string_view segment = path.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
    std::string decoded;
    for (std::size_t i = 0; i < segment.size(); ++i) {
      if (segment[i] == '%' && i + 2 < segment.size() && std::isxdigit(static_cast<unsigned char>(segment[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(segment[i + 2]))) {
        decoded += static_cast<char>(std::stoi(std::string(segment.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        decoded += segment[i];
      }
    }
    count += decoded == "." || decoded == "..";
    at = end;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view source = rest.substr(0, rest.find('\0'));
  std::string_view record = source.size() < rest.size() ? rest.substr(source.size() + 1) : std::string_view();
  // A template's source comes from the configuration, a JSON text: never
  // anything but UTF-8 (nor are a record's values).
  if (!webhook_mock::is_utf8(source)) return 0;

  Template t;
  std::vector<std::string> errors;
  bool compiled = false;
  const int kind = data[0] % 6;
  switch (kind) {
    case 0: compiled = t.compile_body(source, BodyFormat::json, errors); break;
    case 1: compiled = t.compile_body(source, BodyFormat::form, errors); break;
    case 2: compiled = t.compile_body(source, BodyFormat::text, errors); break;
    case 3: compiled = t.compile(source, Context::url, errors); break;
    case 4: compiled = t.compile(source, Context::header, errors); break;
    default: compiled = t.compile(source, Context::json_string, errors); break;
  }
  if (!compiled) {
    FUZZ_CHECK(!errors.empty(), "a template refused without a reason");
    return 0;
  }

  RecordPaths paths;
  t.bind(paths);
  RecordReader reader;
  std::string error;
  const RecordValues* values = reader.read(paths, record, error);
  if (values == nullptr) values = reader.read(paths, kRecord, error);
  FUZZ_CHECK(values != nullptr, "the fixed record does not read");
  std::string out;
  error.clear();
  if (!t.render(RenderInput{values, "KEY-1", "act", "id-1"}, out, error)) {
    FUZZ_CHECK(!error.empty(), "a rendering refused without a reason");
    return 0;
  }
  switch (kind) {
    case 0:
      // JSON, or empty when the source is white space alone.
      if (source.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        FUZZ_CHECK(out.empty(), "a JSON body of white space rendered as something");
      } else {
        boost::system::error_code ec;
        json::parse(json::string_view(out.data(), out.size()), ec);
        FUZZ_CHECK(!ec, "a JSON body rendered as something that is not JSON");
      }
      break;
    case 1: FUZZ_CHECK(only_escaped_bytes(source, out, true), "a form value inserted a byte unescaped"); break;
    case 3:
      FUZZ_CHECK(only_escaped_bytes(source, out, false), "a URL value inserted a byte unescaped");
      // A value never makes a dot segment ("..", "%2E%2E") the source did not have.
      FUZZ_CHECK(dot_segments(out) <= dot_segments(t.probe("x")), "a URL value made a dot segment in the path");
      break;
    case 4:
      if (source.find_first_of("\r\n") == std::string_view::npos) {
        FUZZ_CHECK(out.find_first_of("\r\n") == std::string::npos, "a header value inserted a line break");
      }
      break;
    default: break;
  }
  return 0;
}
