#include "text_encoding.hpp"

#include <webhook/rendering/record_reader.hpp>

#include <array>
#include <charconv>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace webhook {
namespace {

namespace json = boost::json;

constexpr char kHex[] = "0123456789ABCDEF";

// The bytes a JSON string cannot hold as they are (RFC 8259 section 7).
constexpr std::array<bool, 256> kJsonEscaped = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

// The offset of the first byte at or after `i` that a JSON string cannot
// hold as it is, or s.size(): sixteen bytes a step where SSE2 is there.
std::size_t next_to_escape(std::string_view s, std::size_t i) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control = _mm_set1_epi8(0x1f);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i below_space = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control), control);  // unsigned byte <= 0x1f
    const __m128i hit =
        _mm_or_si128(below_space, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
    if (const int mask = _mm_movemask_epi8(hit); mask != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  for (; i < s.size(); ++i) {
    if (kJsonEscaped[static_cast<unsigned char>(s[i])]) return i;
  }
  return s.size();
}

}  // namespace

void append_json_escaped(std::string_view s, std::string& out) {
  std::size_t run = 0;
  for (std::size_t i = next_to_escape(s, 0); i < s.size(); i = next_to_escape(s, i + 1)) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
}

// `s` as a JSON string: quoted and escaped.
void append_json_string(std::string_view s, std::string& out) {
  out += '"';
  append_json_escaped(s, out);
  out += '"';
}

// A value as compact JSON text, without allocating per value: integers as
// they are, doubles in their shortest round-trip form ("123.5", not
// Boost.JSON's "1.235E2"), at any depth, so a number reads the same
// whether it stands alone or inside an object or array.
void append_json(const json::value& v, std::string& out) {
  char buffer[32];
  std::to_chars_result r{};
  switch (v.kind()) {
    case json::kind::int64: r = std::to_chars(buffer, buffer + sizeof buffer, v.get_int64()); break;
    case json::kind::uint64: r = std::to_chars(buffer, buffer + sizeof buffer, v.get_uint64()); break;
    case json::kind::double_: r = std::to_chars(buffer, buffer + sizeof buffer, v.get_double()); break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::null: out += "null"; return;
    case json::kind::string:
      if (const auto digits = integer_text(v); !digits.empty()) {
        out += digits;  // an integer as written
        return;
      }
      append_json_string(std::string_view(v.get_string().data(), v.get_string().size()), out);
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(element, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(std::string_view(member.key().data(), member.key().size()), out);
        out += ':';
        append_json(member.value(), out);
      }
      out += '}';
      return;
    }
  }
  out.append(buffer, r.ptr);
}

// False when `v` is, or holds, a double that is not finite: JSON has no
// infinity or NaN, yet a record's 1e400 reads as infinity (and, with
// Boost.JSON 1.81, 0e400 as NaN).
bool finite_numbers(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& element : v.get_array()) {
        if (!finite_numbers(element)) return false;
      }
      return true;
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        if (!finite_numbers(member.value())) return false;
      }
      return true;
    default: return true;
  }
}

void append_percent_encoded(std::string_view s, std::string& out, bool form) {
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (form && c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

}  // namespace webhook
