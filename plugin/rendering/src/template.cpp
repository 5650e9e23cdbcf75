#include <webhook/rendering/template.hpp>

#include "text_encoding.hpp"
#include "template_parts.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace webhook {
namespace {

namespace json = boost::json;

using namespace template_detail;


int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
  out.reserve(std::size_t{length} * 2);
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

  // A placeholder's value on its way through the filters: the record's
  // JSON value, or text once a filter (or a step's constant) made it text.
  struct Value {
    const json::value* value = nullptr;
    std::string& text;
    bool is_text = false;
    bool url_encoded = false;  // text is a urlencode filter's output
    bool found = false;

    bool blank() const {
      return !found || (value && value->is_null()) || (value && value->is_string() && value->get_string().empty()) ||
             (is_text && text.empty());
    }
    void become_text(std::string_view t) {
      text.assign(t);
      is_text = true;
      value = nullptr;
      found = true;
      url_encoded = false;
    }
  };

  // The value a placeholder's variable names, before any filter.
  static Resolved look_up(const Placeholder& p, const RenderInput& in, Value& v) {
    switch (p.source) {
      case Source::api_key: v.become_text(in.api_key); break;
      case Source::activation_name: v.become_text(in.activation_name); break;
      case Source::activation_id: v.become_text(in.activation_id); break;
      case Source::event_id:
      case Source::journey_name:
      case Source::journey_stage:
      case Source::profile:
      case Source::event:
      case Source::flat:
        if (in.record) {
          v.value = in.record->get(p.slot);
          if (v.value == nullptr) v.value = in.record->get(p.fallback_slot);
          if (v.value != nullptr && !finite_numbers(*v.value)) return Resolved::not_finite;
        }
        v.found = v.value != nullptr;
        break;
    }
    return Resolved::found;
  }

  // One filter but default, on a found value.
  static void apply_filter(FilterKind kind, Value& v) {
    if (kind == FilterKind::json) {
      std::string quoted;
      if (v.is_text) append_json_string(v.text, quoted);
      else append_json(*v.value, quoted);
      v.become_text(quoted);
      return;
    }
    if (!v.is_text) {
      std::string text;
      append_number_or_text(*v.value, text);
      v.become_text(text);
    }
    std::string& text = v.text;
    switch (kind) {
      case FilterKind::lower:
        for (char& c : text) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        break;
      case FilterKind::upper:
        for (char& c : text) if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        break;
      case FilterKind::trim: text = std::string(trim(text)); break;
      case FilterKind::sha256: text = sha256_hex(text); break;
      case FilterKind::urlencode: {
        std::string encoded;
        append_percent_encoded(text, encoded, false);
        text = std::move(encoded);
        v.url_encoded = true;
        break;
      }
      default: break;
    }
  }

  // Looks a placeholder's value up and applies its filters: `missing` when
  // the record lacks the variable and no default applies, `not_finite` when
  // its value is a number that JSON cannot carry.
  // `url_encoded`: the text is the output of a urlencode filter (only
  // unreserved characters and escapes), to be inserted in a URL or form as
  // it is rather than encoded twice.
  Resolved resolve(const Placeholder& p, const RenderInput& in, const json::value*& value,
                   std::string& text, bool& is_text, bool& url_encoded) const {
    Value v{nullptr, text};
    Resolved looked_up = look_up(p, in, v);
    if (looked_up != Resolved::found) return looked_up;
    for (const auto& filter : p.filters) {
      if (filter.kind == FilterKind::default_value) {
        if (v.blank()) v.become_text(filter.argument);
        continue;
      }
      if (!v.found) return Resolved::missing;
      apply_filter(filter.kind, v);
    }
    value = v.value;
    is_text = v.is_text;
    url_encoded = v.url_encoded;
    return v.found ? Resolved::found : Resolved::missing;
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
