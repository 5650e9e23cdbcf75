#include <webhook/rendering/template.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace webhook {
namespace {

namespace json = boost::json;

enum class Source {
  api_key,
  profile,          // profile.PATH
  event,            // event.PATH
  journey_name,
  journey_stage,
  activation_name,
  activation_id,
  event_id,
  flat,             // NAME: profile attribute, then event field
};

enum class FilterKind { default_value, lower, upper, trim, sha256, urlencode, json };

struct Filter {
  FilterKind kind;
  std::string argument;  // default's text
};

struct Placeholder {
  Source source = Source::flat;
  std::vector<std::string> path;
  std::string display;   // the expression as written, for errors
  std::string variable;  // its variable alone ("profile.id"), for errors
  std::vector<Filter> filters;
  Context context = Context::text;
  bool in_url_path = false;  // in a URL, before any '?' or '#' 
  // Where the record's value is (Template::bind): for a flat name, `slot` is
  // the profile's and `fallback_slot` the event's.
  int slot = -1;
  int fallback_slot = -1;
};

struct Segment {
  std::string literal;
  int placeholder = -1;  // index into placeholders, or -1 for a literal
};

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kAllowedVariables =
    "allowed: auth.api_key, profile.NAME, event.NAME, journey.name, journey.stage, "
    "activation.name, activation.id, event_id, event_name, event_time, journey_name, "
    "journey_stage_name, activation_name, or a flat NAME (a profile attribute, else an "
    "event field)";

// Parses the inside of "{{ ... }}". Returns false and sets `error`.
bool parse_expression(std::string_view text, Placeholder& out, std::string& error) {
  out.display = std::string(trim(text));
  std::size_t i = 0;
  skip_spaces(text, i);
  std::vector<std::string> names;
  for (;;) {
    std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    if (i == start) {
      error = "expected a variable name";
      return false;
    }
    names.emplace_back(text.substr(start, i - start));
    out.variable += (out.variable.empty() ? "" : ".") + names.back();
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  skip_spaces(text, i);
  while (i < text.size() && text[i] == '|') {
    ++i;
    skip_spaces(text, i);
    std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    std::string_view name = text.substr(start, i - start);
    Filter filter{};
    if (name == "default") filter.kind = FilterKind::default_value;
    else if (name == "lower") filter.kind = FilterKind::lower;
    else if (name == "upper") filter.kind = FilterKind::upper;
    else if (name == "trim") filter.kind = FilterKind::trim;
    else if (name == "sha256") filter.kind = FilterKind::sha256;
    else if (name == "urlencode") filter.kind = FilterKind::urlencode;
    else if (name == "json") filter.kind = FilterKind::json;
    else {
      error = "unknown filter '" + std::string(name) +
              "'; allowed: default, lower, upper, trim, sha256, urlencode, json";
      return false;
    }
    skip_spaces(text, i);
    if (filter.kind == FilterKind::default_value) {
      if (i >= text.size() || text[i] != ':') {
        error = "filter 'default' needs a value: default: \"text\"";
        return false;
      }
      ++i;
      skip_spaces(text, i);
      if (i >= text.size() || text[i] != '"') {
        error = "filter 'default' takes a double-quoted string";
        return false;
      }
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '\\' && i < text.size()) {
          filter.argument += text[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          filter.argument += c;
        }
      }
      if (!closed) {
        error = "unterminated string in filter 'default'";
        return false;
      }
      skip_spaces(text, i);
    } else if (i < text.size() && text[i] == ':') {
      error = "filter '" + std::string(name) + "' takes no argument";
      return false;
    }
    out.filters.push_back(std::move(filter));
  }
  if (i != text.size()) {
    error = "unexpected '" + std::string(text.substr(i, 1)) + "'";
    return false;
  }

  const std::string& root = names.front();
  auto single = [&](Source s, std::string_view what) {
    if (names.size() != 1) {
      error = "unknown variable '" + out.display + "'; " + std::string(what);
      return false;
    }
    out.source = s;
    return true;
  };
  if (names.size() == 1) {
    if (root == "event_id") return single(Source::event_id, "");
    if (root == "event_name") {
      out.source = Source::event;
      out.path = {"name"};
      return true;
    }
    if (root == "event_time") {
      out.source = Source::event;
      out.path = {"time"};
      return true;
    }
    if (root == "journey_name") return single(Source::journey_name, "");
    if (root == "journey_stage_name") return single(Source::journey_stage, "");
    if (root == "activation_name") return single(Source::activation_name, "");
    out.source = Source::flat;
    out.path = {root};
    return true;
  }
  std::string_view second = names[1];
  if (root == "auth") {
    if (names.size() == 2 && second == "api_key") {
      out.source = Source::api_key;
      return true;
    }
    error = "unknown variable '" + names.front() + "." + std::string(second) +
            "'; the authentication offers only auth.api_key";
    return false;
  }
  if (root == "profile" || root == "event") {
    out.source = root == "profile" ? Source::profile : Source::event;
    out.path.assign(names.begin() + 1, names.end());
    return true;
  }
  if (root == "journey" && names.size() == 2 && (second == "name" || second == "stage")) {
    out.source = second == "name" ? Source::journey_name : Source::journey_stage;
    return true;
  }
  if (root == "activation" && names.size() == 2 && (second == "name" || second == "id")) {
    out.source = second == "name" ? Source::activation_name : Source::activation_id;
    return true;
  }
  error = "unknown variable '";
  for (std::size_t n = 0; n < names.size(); ++n) error += (n ? "." : "") + names[n];
  error += "'; " + std::string(kAllowedVariables);
  return false;
}

constexpr char kHex[] = "0123456789ABCDEF";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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

// Where the placeholder opened at `open` ("{{") closes: the offset of its
// "}}", or npos. A "}}" inside a quoted filter argument (`default: "}}"`)
// does not close it.
std::size_t placeholder_end(std::string_view source, std::size_t open) {
  bool in_quote = false;
  for (std::size_t i = open + 2; i + 1 < source.size(); ++i) {
    if (source[i] == '\\' && in_quote) {
      ++i;
    } else if (source[i] == '"') {
      in_quote = !in_quote;
    } else if (!in_quote && source[i] == '}' && source[i + 1] == '}') {
      return i;
    }
  }
  return std::string_view::npos;
}

void append_number_or_text(const json::value& v, std::string& out) {
  if (const auto digits = integer_text(v); !digits.empty()) {
    out += digits;
  } else if (const auto* s = v.if_string()) {
    out.append(s->data(), s->size());
  } else if (v.is_null()) {
    // null reads as empty text
  } else {
    append_json(v, out);
  }
}


void append_percent_encoded(std::string_view s, std::string& out, bool form) {
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
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


// The path segment of `url` that holds the text placed at `at` must not be
// a dot segment or empty once percent-decoded: receivers (and the URL
// guard) would resolve "users/../orders" to "orders", so data would choose
// the endpoint's path.
bool check_path_segment(std::string_view url, std::size_t at, const Placeholder& p, std::string& error) {
  const std::size_t slash = at == 0 ? std::string_view::npos : url.rfind('/', at - 1);
  const std::size_t begin = slash == std::string_view::npos ? 0 : slash + 1;
  std::size_t end = url.find_first_of("/?#", at);
  if (end == std::string_view::npos) end = url.size();
  std::string decoded;
  const std::string_view segment = url.substr(begin, end - begin);
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && hex_digit(segment[i + 1]) >= 0 && hex_digit(segment[i + 2]) >= 0) {
      decoded += static_cast<char>(hex_digit(segment[i + 1]) * 16 + hex_digit(segment[i + 2]));
      i += 2;
    } else {
      decoded += segment[i];
    }
  }
  if (decoded == "." || decoded == "..") {
    error = p.variable + " renders a dot segment in the URL path ('" + std::string(segment) +
            "'); not sent: the receiver would resolve it to another path";
    return false;
  }
  if (decoded.empty()) {
    error = p.variable + " renders an empty segment in the URL path; not sent: give it a value, or a '| default: \"...\"'";
    return false;
  }
  return true;
}

}  // namespace

void sha256(std::initializer_list<std::string_view> parts, unsigned char* digest) {
  // The algorithm is fetched once and a context kept per thread: OpenSSL 3's
  // one-shot EVP_Digest fetches it on every call, a sixth of a record's cost.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct DigestContext {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~DigestContext() { EVP_MD_CTX_free(ctx); }
  };
  thread_local DigestContext context;
  unsigned int length = 0;
  EVP_DigestInit_ex(context.ctx, md, nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(context.ctx, part.data(), part.size());
  EVP_DigestFinal_ex(context.ctx, digest, &length);
}

void sha256(std::string_view data, unsigned char* digest) { sha256({data}, digest); }

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  const unsigned int length = 32;
  sha256(data, digest.data());
  std::string out;
  out.reserve(length * 2);
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

struct Template::Impl {
  std::string source;
  std::vector<Segment> segments;
  std::vector<Placeholder> placeholders;
  bool uses_api_key = false;
  bool depends_on_record = false;
  bool bound = false;

  // Splits the source into literals and placeholders; `context_at` gives the
  // context of a placeholder starting at a byte offset.
  template <class ContextAt>
  bool split(std::vector<std::string>& errors, ContextAt context_at) {
    std::size_t pos = 0;
    std::string literal;
    bool ok = true;
    while (pos < source.size()) {
      std::size_t open = source.find("{{", pos);
      if (open == std::string::npos) {
        literal.append(source, pos, std::string::npos);
        break;
      }
      literal.append(source, pos, open - pos);
      const std::size_t close = placeholder_end(source, open);
      if (close == std::string::npos) {
        errors.push_back("unclosed '{{' at byte " + std::to_string(open) + "; every '{{' needs a '}}'");
        return false;
      }
      Placeholder placeholder;
      std::string error;
      if (!parse_expression(std::string_view(source).substr(open + 2, close - open - 2), placeholder, error)) {
        errors.push_back("placeholder '" + source.substr(open, close + 2 - open) + "': " + error);
        ok = false;
      } else {
        placeholder.context = context_at(open);
        if (placeholder.source == Source::api_key) uses_api_key = true;
        if (placeholder.source != Source::api_key && placeholder.source != Source::activation_name &&
            placeholder.source != Source::activation_id) {
          depends_on_record = true;
        }
        if (!literal.empty()) segments.push_back({std::move(literal), -1});
        literal.clear();
        segments.push_back({{}, static_cast<int>(placeholders.size())});
        placeholders.push_back(std::move(placeholder));
      }
      pos = close + 2;
    }
    if (!literal.empty()) segments.push_back({std::move(literal), -1});
    return ok;
  }

  enum class Resolved { found, missing, not_finite };

  // Looks a placeholder's value up and applies its filters: `missing` when
  // the record lacks the variable and no default applies, `not_finite` when
  // its value is a number that JSON cannot carry.
  // `url_encoded`: the text is the output of a urlencode filter (only
  // unreserved characters and escapes), to be inserted in a URL or form as
  // it is rather than encoded twice.
  Resolved resolve(const Placeholder& p, const RenderInput& in, const json::value*& value,
                   std::string& text, bool& is_text, bool& url_encoded) const {
    value = nullptr;
    is_text = false;
    url_encoded = false;
    switch (p.source) {
      case Source::api_key:
        text.assign(in.api_key);
        is_text = true;
        break;
      case Source::activation_name:
        text.assign(in.activation_name);
        is_text = true;
        break;
      case Source::activation_id:
        text.assign(in.activation_id);
        is_text = true;
        break;
      case Source::event_id:
      case Source::journey_name:
      case Source::journey_stage:
      case Source::profile:
      case Source::event:
      case Source::flat:
        if (in.record) {
          value = in.record->get(p.slot);
          if (value == nullptr) value = in.record->get(p.fallback_slot);
          if (value != nullptr && !finite_numbers(*value)) return Resolved::not_finite;
        }
        break;
    }
    bool found = is_text || value != nullptr;
    for (const auto& filter : p.filters) {
      if (filter.kind == FilterKind::default_value) {
        bool blank = !found || (value && value->is_null()) ||
                     (value && value->is_string() && value->get_string().empty()) ||
                     (is_text && text.empty());
        if (blank) {
          text = filter.argument;
          is_text = true;
          value = nullptr;
          found = true;
          url_encoded = false;
        }
        continue;
      }
      if (!found) return Resolved::missing;
      if (filter.kind == FilterKind::json) {
        if (is_text) {
          std::string quoted;
          append_json_string(text, quoted);
          text = std::move(quoted);
        } else {
          text.clear();
          append_json(*value, text);
        }
        is_text = true;
        value = nullptr;
        url_encoded = false;
        continue;
      }
      if (!is_text) {
        text.clear();
        append_number_or_text(*value, text);
        is_text = true;
        value = nullptr;
      }
      switch (filter.kind) {
        case FilterKind::lower:
          for (char& c : text) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          break;
        case FilterKind::upper:
          for (char& c : text) if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
          break;
        case FilterKind::trim:
          text = std::string(trim(text));
          break;
        case FilterKind::sha256:
          text = sha256_hex(text);
          break;
        case FilterKind::urlencode: {
          std::string encoded;
          append_percent_encoded(text, encoded, false);
          text = std::move(encoded);
          url_encoded = true;
          break;
        }
        default:
          break;
      }
    }
    return found ? Resolved::found : Resolved::missing;
  }

  // Appends one placeholder's value, escaped for where it stands.
  bool render_placeholder(const Placeholder& p, const RenderInput& input, std::string& out, std::string& error) const {
    const json::value* value = nullptr;
    std::string text;
    bool is_text = false, url_encoded = false;
    switch (resolve(p, input, value, text, is_text, url_encoded)) {
      case Resolved::found: break;
      case Resolved::missing:
        error = "the record has no value for '{{" + p.display + "}}'";
        if (p.filters.empty()) error += " (give one with '| default: \"...\"')";
        return false;
      case Resolved::not_finite:
        error = "the value of '{{" + p.display +
                "}}' is a number no double holds (it reads as infinity or NaN, as 1e400 does); not sent";
        return false;
    }
    if (p.context == Context::json_value) {
      if (is_text) append_json_string(text, out);
      else append_json(*value, out);  // a string comes out quoted and escaped
      return true;
    }
    std::string_view view;
    std::string scratch;
    if (is_text) {
      view = text;
    } else if (const auto digits = integer_text(*value); !digits.empty()) {
      view = digits;
    } else if (const auto* s = value->if_string()) {
      view = std::string_view(s->data(), s->size());
    } else {
      append_number_or_text(*value, scratch);
      view = scratch;
    }
    return append_escaped(p, view, url_encoded, out, error);
  }

  static bool append_escaped(const Placeholder& p, std::string_view view, bool url_encoded, std::string& out,
                             std::string& error) {
    switch (p.context) {
      case Context::text:
        out += view;
        break;
      case Context::url:
      case Context::form:
        if (url_encoded) out += view;  // encoded once already, by the filter
        else append_percent_encoded(view, out, p.context == Context::form);
        break;
      case Context::json_string:
        append_json_escaped(view, out);
        break;
      case Context::header:
        for (unsigned char c : view) {
          if ((c < 0x20 && c != '\t') || c == 0x7f) {
            error = "the value of '{{" + p.display +
                    "}}' contains a control character (CR, LF or other); not allowed in a header";
            return false;
          }
        }
        out += view;
        break;
      case Context::json_value:
        break;
    }
    return true;
  }
};

Template::Template() : impl_(std::make_unique<Impl>()) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

bool Template::compile(std::string_view source, Context context, std::vector<std::string>& errors) {
  impl_ = std::make_unique<Impl>();
  impl_->source = std::string(source);
  if (!impl_->split(errors, [context](std::size_t) { return context; })) return false;
  if (context == Context::url) {
    bool in_path = true;  // until the literal text reaches a '?' or '#'
    for (const auto& segment : impl_->segments) {
      if (segment.placeholder >= 0) impl_->placeholders[segment.placeholder].in_url_path = in_path;
      else if (segment.literal.find_first_of("?#") != std::string::npos) in_path = false;
    }
  }
  return true;
}

bool Template::compile_body(std::string_view source, BodyFormat format, std::vector<std::string>& errors) {
  if (format == BodyFormat::text) return compile(source, Context::text, errors);
  if (format == BodyFormat::form) return compile(source, Context::form, errors);

  // Which placeholders stand inside a JSON string: scan the text as JSON,
  // treating each "{{...}}" outside a string as a value token.
  impl_ = std::make_unique<Impl>();
  impl_->source = std::string(source);
  std::vector<std::pair<std::size_t, Context>> contexts;
  bool in_string = false;
  for (std::size_t i = 0; i < source.size(); ++i) {
    char c = source[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (c == '{' && i + 1 < source.size() && source[i + 1] == '{') {
        contexts.emplace_back(i, Context::json_string);
        std::size_t close = placeholder_end(source, i);
        if (close == std::string_view::npos) break;
        i = close + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' && i + 1 < source.size() && source[i + 1] == '{') {
      contexts.emplace_back(i, Context::json_value);
      std::size_t close = placeholder_end(source, i);
      if (close == std::string_view::npos) break;
      i = close + 1;
    }
  }
  // A placeholder the scan did not find is one whose first brace a
  // backslash escaped (`"\{{x}}"`): not JSON whatever the value, and the
  // check below could pass it (a value standing as "null" makes "\n").
  bool escaped = false;
  bool ok = impl_->split(errors, [&contexts, &escaped](std::size_t offset) {
    for (const auto& [at, context] : contexts) {
      if (at == offset) return context;
    }
    escaped = true;
    return Context::json_value;
  });
  if (!ok) return false;
  if (escaped) {
    errors.push_back("a backslash escapes the '{' of a placeholder inside a JSON string ('\\{{'); "
                     "write '\\\\' for a backslash before the value");
    return false;
  }

  // Valid JSON once each placeholder is seen as a value?
  std::string probe_text;
  for (const auto& segment : impl_->segments) {
    if (segment.placeholder < 0) {
      probe_text += segment.literal;
    } else if (impl_->placeholders[segment.placeholder].context == Context::json_value) {
      probe_text += "null";
    }
  }
  if (trim(probe_text).empty()) {
    // An empty body is allowed; white space alone is the empty body, not
    // a body that is not JSON.
    impl_->segments.clear();
    return true;
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write(probe_text.data(), probe_text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < consumed && i < probe_text.size(); ++i) {
      if (probe_text[i] == '\n') ++line;
    }
    errors.push_back("is not valid JSON once its placeholders are seen as values (" + ec.message() +
                     ", line " + std::to_string(line) +
                     "); set activation.body_format to \"text\" or \"form\" for other bodies");
    return false;
  }
  return true;
}

void Template::bind(RecordPaths& paths) {
  auto under = [&paths](std::string_view section, const std::vector<std::string>& path) {
    std::vector<std::string_view> full{section};
    full.insert(full.end(), path.begin(), path.end());
    return paths.slot(full);
  };
  for (auto& p : impl_->placeholders) {
    switch (p.source) {
      case Source::event_id: p.slot = RecordPaths::kEventId; break;
      case Source::journey_name: p.slot = RecordPaths::kJourneyName; break;
      case Source::journey_stage: p.slot = RecordPaths::kJourneyStage; break;
      case Source::profile: p.slot = under("profile", p.path); break;
      case Source::event: p.slot = under("event", p.path); break;
      case Source::flat:
        p.slot = under("profile", p.path);
        p.fallback_slot = under("event", p.path);
        break;
      default: break;
    }
  }
  impl_->bound = true;
}

bool Template::render(const RenderInput& input, std::string& out, std::string& error) const {
  if (input.record != nullptr && impl_->depends_on_record && !impl_->bound) {
    error = "internal error: the template was not bound to the step's record paths";
    return false;
  }
  const std::size_t base = out.size();
  // Where each URL path placeholder's text went: its segment is checked
  // once the whole URL is there.
  std::vector<std::pair<std::size_t, const Placeholder*>> in_path;
  for (const auto& segment : impl_->segments) {
    if (segment.placeholder < 0) {
      out += segment.literal;
      continue;
    }
    const Placeholder& p = impl_->placeholders[segment.placeholder];
    if (p.in_url_path) in_path.emplace_back(out.size(), &p);
    if (!impl_->render_placeholder(p, input, out, error)) return false;
  }
  for (const auto& [at, p] : in_path) {
    if (!check_path_segment(std::string_view(out).substr(base), at - base, *p, error)) return false;
  }
  return true;
}

std::string Template::probe(std::string_view stand_in) const {
  std::string out;
  for (const auto& segment : impl_->segments) {
    if (segment.placeholder < 0) out += segment.literal;
    else out += stand_in;
  }
  return out;
}

bool Template::empty() const { return impl_->segments.empty(); }
bool Template::has_placeholders() const { return !impl_->placeholders.empty(); }
bool Template::uses_api_key() const { return impl_->uses_api_key; }
bool Template::depends_on_record() const { return impl_->depends_on_record; }
const std::string& Template::source() const { return impl_->source; }

}  // namespace webhook
