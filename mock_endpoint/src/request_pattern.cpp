#include "webhook_mock/request_pattern.hpp"

#include "webhook_mock/regex.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace webhook_mock {
namespace {

namespace json = boost::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string text_of(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  return json::serialize(v);
}

bool numbers_equal(const json::value& a, const json::value& b) {
  auto as_double = [](const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
  };
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  return as_double(a) == as_double(b);
}

std::shared_ptr<const Regex> compile_regex(const std::string& pattern, bool case_insensitive, std::string& error) {
  return Regex::compile(pattern, case_insensitive, error);
}

}  // namespace

std::string decode_query_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool json_equal(const json::value& expected, const json::value& actual, bool ignore_array_order,
                bool ignore_extra_elements) {
  if (expected.is_number() && actual.is_number()) return numbers_equal(expected, actual);
  if (expected.kind() != actual.kind()) return false;
  if (const auto* eo = expected.if_object()) {
    const auto& ao = actual.get_object();
    if (!ignore_extra_elements && eo->size() != ao.size()) return false;
    for (const auto& member : *eo) {
      auto it = ao.find(member.key());
      if (it == ao.end() || !json_equal(member.value(), it->value(), ignore_array_order, ignore_extra_elements)) {
        return false;
      }
    }
    return true;
  }
  if (const auto* ea = expected.if_array()) {
    const auto& aa = actual.get_array();
    if (ignore_extra_elements ? ea->size() > aa.size() : ea->size() != aa.size()) return false;
    if (!ignore_array_order) {
      if (ignore_extra_elements) {
        // expected elements appear in order, others may stand between them
        std::size_t j = 0;
        for (const auto& e : *ea) {
          while (j < aa.size() && !json_equal(e, aa[j], false, true)) ++j;
          if (j == aa.size()) return false;
          ++j;
        }
        return true;
      }
      for (std::size_t i = 0; i < ea->size(); ++i) {
        if (!json_equal((*ea)[i], aa[i], false, false)) return false;
      }
      return true;
    }
    std::vector<bool> used(aa.size(), false);
    for (const auto& e : *ea) {
      bool found = false;
      for (std::size_t j = 0; j < aa.size() && !found; ++j) {
        if (!used[j] && json_equal(e, aa[j], ignore_array_order, ignore_extra_elements)) used[j] = found = true;
      }
      if (!found) return false;
    }
    return true;
  }
  return expected == actual;
}

// ---- ValueMatcher -----------------------------------------------------------

std::optional<ValueMatcher> ValueMatcher::parse(const json::value& spec, const std::string& pointer,
                                                std::vector<PatternError>& errors) {
  const auto* o = spec.if_object();
  if (o == nullptr) {
    errors.push_back({pointer, json::serialize(spec) + " is not a valid match operation"});
    return std::nullopt;
  }
  ValueMatcher m;
  int operators = 0;
  for (const auto& member : *o) {
    std::string_view key = member.key();
    const json::value& v = member.value();
    if (key == "caseInsensitive") {
      if (!v.is_bool()) {
        errors.push_back({pointer + "/caseInsensitive", "must be true or false"});
        return std::nullopt;
      }
      m.case_insensitive_ = v.get_bool();
      continue;
    }
    if (key == "absent") {
      if (!v.is_bool()) {
        errors.push_back({pointer + "/absent", "must be true or false"});
        return std::nullopt;
      }
      m.kind_ = v.get_bool() ? Kind::absent : Kind::present;
      ++operators;
      continue;
    }
    if (key == "equalTo") m.kind_ = Kind::equal_to;
    else if (key == "contains") m.kind_ = Kind::contains;
    else if (key == "matches") m.kind_ = Kind::matches;
    else if (key == "doesNotMatch") m.kind_ = Kind::does_not_match;
    else {
      errors.push_back({pointer, json::serialize(spec) + " is not a valid match operation"});
      return std::nullopt;
    }
    ++operators;
    if (v.is_string()) {
      m.operand_ = std::string(v.get_string());
    } else if (v.is_number() || v.is_bool()) {
      m.operand_ = json::serialize(v);
    } else {
      errors.push_back({pointer + "/" + std::string(key), "must be a string"});
      return std::nullopt;
    }
  }
  if (operators != 1) {
    errors.push_back({pointer, json::serialize(spec) + " is not a valid match operation"});
    return std::nullopt;
  }
  if (m.kind_ == Kind::matches || m.kind_ == Kind::does_not_match) {
    std::string error;
    m.regex_ = compile_regex(m.operand_, m.case_insensitive_, error);
    if (!m.regex_) {
      errors.push_back({pointer, error});
      return std::nullopt;
    }
  }
  return m;
}

bool ValueMatcher::matches(const std::string* value, bool* over_budget) const {
  switch (kind_) {
    case Kind::absent: return value == nullptr;
    case Kind::present: return value != nullptr;
    default: break;
  }
  if (value == nullptr) return false;
  switch (kind_) {
    case Kind::equal_to:
      return case_insensitive_ ? lower(*value) == lower(operand_) : *value == operand_;
    case Kind::contains:
      return case_insensitive_ ? lower(*value).find(lower(operand_)) != std::string::npos
                               : value->find(operand_) != std::string::npos;
    case Kind::matches:
    case Kind::does_not_match: {
      RegexResult result = regex_->full_match(*value);
      if (result == RegexResult::over_budget) {
        if (over_budget) *over_budget = true;
        return false;
      }
      return (result == RegexResult::match) == (kind_ == Kind::matches);
    }
    default: return false;
  }
}

std::string ValueMatcher::describe() const {
  switch (kind_) {
    case Kind::equal_to: return std::string("equalTo '") + operand_ + "'" + (case_insensitive_ ? " (any case)" : "");
    case Kind::contains: return "contains '" + operand_ + "'";
    case Kind::matches: return "matches '" + operand_ + "'";
    case Kind::does_not_match: return "doesNotMatch '" + operand_ + "'";
    case Kind::absent: return "absent";
    case Kind::present: return "present";
  }
  return {};
}

// ---- RequestPattern ---------------------------------------------------------

RequestPattern RequestPattern::any() {
  RequestPattern p;
  p.source_ = json::object{{"method", "ANY"}};
  return p;
}

std::optional<RequestPattern> RequestPattern::parse(const json::value& spec, const std::string& pointer,
                                                    std::vector<PatternError>& errors) {
  const auto* o = spec.if_object();
  if (o == nullptr) {
    errors.push_back({pointer, "a request pattern must be a JSON object"});
    return std::nullopt;
  }
  const std::size_t first_error = errors.size();
  RequestPattern p;
  p.source_ = spec;
  int url_keys = 0;
  for (const auto& member : *o) {
    const std::string_view key = member.key();
    const json::value& v = member.value();
    const std::string at = pointer + "/" + escape_json_pointer(key);
    if (key == "method") {
      if (!v.is_string()) errors.push_back({at, "must be a string"});
      else p.method_ = std::string(v.get_string());
    } else if (key == "url" || key == "urlPath" || key == "urlPattern" || key == "urlPathPattern") {
      ++url_keys;
      p.parse_url(key, v, at, errors);
    } else if (key == "headers" || key == "queryParameters") {
      p.parse_matchers(key, v, at, errors);
    } else if (key == "bodyPatterns") {
      p.parse_body_patterns(v, at, errors);
    } else {
      errors.push_back({at, "unknown request pattern key; allowed: method, url, urlPath, urlPattern, urlPathPattern, "
                            "headers, queryParameters, bodyPatterns"});
    }
  }
  if (url_keys > 1) errors.push_back({pointer, "give only one of url, urlPath, urlPattern, urlPathPattern"});
  if (errors.size() != first_error) return std::nullopt;
  return p;
}

void RequestPattern::parse_url(std::string_view key, const json::value& v, const std::string& at,
                               std::vector<PatternError>& errors) {
  if (!v.is_string()) {
    errors.push_back({at, "must be a string"});
    return;
  }
  url_ = std::string(v.get_string());
  url_kind_ = key == "url"          ? UrlKind::url
              : key == "urlPath"    ? UrlKind::url_path
              : key == "urlPattern" ? UrlKind::url_pattern
                                    : UrlKind::url_path_pattern;
  if (url_kind_ == UrlKind::url_pattern || url_kind_ == UrlKind::url_path_pattern) {
    std::string error;
    url_regex_ = compile_regex(url_, false, error);
    if (!url_regex_) errors.push_back({at, error});
  }
}

// "headers" or "queryParameters": an object of name: matcher.
void RequestPattern::parse_matchers(std::string_view key, const json::value& v, const std::string& at,
                                    std::vector<PatternError>& errors) {
  const auto* entries = v.if_object();
  if (entries == nullptr) {
    errors.push_back({at, "must be an object of name: matcher"});
    return;
  }
  for (const auto& entry : *entries) {
    auto matcher = ValueMatcher::parse(entry.value(), at + "/" + escape_json_pointer(entry.key()), errors);
    if (matcher) (key == "headers" ? headers_ : query_).emplace_back(std::string(entry.key()), *matcher);
  }
}

void RequestPattern::parse_body_patterns(const json::value& v, const std::string& at,
                                         std::vector<PatternError>& errors) {
  const auto* list = v.if_array();
  if (list == nullptr) {
    errors.push_back({at, "must be an array of body matchers"});
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string item_at = at + "/" + std::to_string(i);
    const auto* bo = (*list)[i].if_object();
    BodyPattern body;
    body.description = json::serialize((*list)[i]);
    bool ok = false;
    if (bo != nullptr && bo->contains("equalToJson")) {
      ok = parse_equal_to_json(*bo, item_at, body, errors);
    } else if (bo != nullptr && bo->contains("matchesJsonPath")) {
      ok = parse_json_path(bo->at("matchesJsonPath"), item_at + "/matchesJsonPath", body, errors);
    } else {
      body.value = ValueMatcher::parse((*list)[i], item_at, errors);
      ok = body.value.has_value();
    }
    if (ok) body_.push_back(std::move(body));
  }
}

bool RequestPattern::parse_equal_to_json(const json::object& spec, const std::string& at, BodyPattern& body,
                                         std::vector<PatternError>& errors) {
  body.kind = BodyPattern::Kind::equal_to_json;
  const json::value& expected = spec.at("equalToJson");
  if (expected.is_string()) {
    boost::system::error_code ec;
    body.expected_json = json::parse(expected.get_string(), ec);
    if (ec) {
      errors.push_back({at + "/equalToJson", "is not valid JSON: " + ec.message()});
      return false;
    }
  } else {
    body.expected_json = expected;
  }
  for (const auto& flag : spec) {
    if (flag.key() == "equalToJson") continue;
    if ((flag.key() == "ignoreArrayOrder" || flag.key() == "ignoreExtraElements") && flag.value().is_bool()) {
      (flag.key() == "ignoreArrayOrder" ? body.ignore_array_order : body.ignore_extra_elements) =
          flag.value().get_bool();
    } else {
      errors.push_back({at + "/" + escape_json_pointer(flag.key()),
                        "unknown or mistyped option; allowed: ignoreArrayOrder, ignoreExtraElements (booleans)"});
    }
  }
  return true;
}

// matchesJsonPath: an expression, or {"expression": ..., and a matcher}.
bool RequestPattern::parse_json_path(const json::value& spec, const std::string& at, BodyPattern& body,
                                     std::vector<PatternError>& errors) {
  body.kind = BodyPattern::Kind::matches_json_path;
  std::string expression;
  if (spec.is_string()) {
    expression = std::string(spec.get_string());
  } else if (const auto* jo = spec.if_object(); jo && jo->contains("expression") && jo->at("expression").is_string()) {
    expression = std::string(jo->at("expression").get_string());
    json::object rest = *jo;
    rest.erase("expression");
    body.value = ValueMatcher::parse(rest, at, errors);
    if (!body.value) return false;
  } else {
    errors.push_back({at, "must be a string, or an object with \"expression\" and a matcher"});
    return false;
  }
  std::string error;
  body.path = JsonPath::compile(expression, error);
  if (!body.path) {
    errors.push_back({at, error});
    return false;
  }
  return true;
}

std::size_t RequestPattern::parts() const {
  return 1 + (url_kind_ != UrlKind::none ? 1 : 0) + headers_.size() + query_.size() + body_.size();
}

struct RequestPattern::Misses {
  std::size_t failed = 0;
  std::vector<std::string>* why = nullptr;
  std::string* over_budget = nullptr;
  bool overran = false;

  void miss(std::string text) {
    ++failed;
    if (why) why->push_back(std::move(text));
  }
  // A part whose regular expression ran over its budget: it fails, and says why.
  void overrun(const std::string& part, const std::string& what) {
    if (over_budget && !overran) *over_budget = part + ": " + what;
    overran = true;
    miss(part + ": " + what + " (" + std::string(regex_over_budget_message) + ")");
  }
};

std::size_t RequestPattern::mismatches(const RecordedRequest& r, std::vector<std::string>* why,
                                       std::string* over_budget) const {
  Misses misses{0, why, over_budget};
  if (method_ != "ANY" && method_ != r.method) misses.miss("method: expected " + method_ + ", got " + r.method);
  url_misses(r, misses);
  header_misses(r, misses);
  if (!query_.empty()) query_misses(r, misses);
  body_misses(r, misses);
  return misses.failed;
}

void RequestPattern::url_misses(const RecordedRequest& r, Misses& misses) const {
  switch (url_kind_) {
    case UrlKind::none: return;
    case UrlKind::url:
      if (r.target != url_) misses.miss("url: expected '" + url_ + "', got '" + r.target + "'");
      return;
    case UrlKind::url_path:
      if (r.path != url_) misses.miss("urlPath: expected '" + url_ + "', got '" + r.path + "'");
      return;
    case UrlKind::url_pattern:
    case UrlKind::url_path_pattern: {
      const bool whole = url_kind_ == UrlKind::url_pattern;
      const std::string& text = whole ? r.target : r.path;
      const std::string part = whole ? "urlPattern" : "urlPathPattern";
      switch (url_regex_->full_match(text)) {
        case RegexResult::match: return;
        case RegexResult::no_match: return misses.miss(part + ": '" + url_ + "' does not match '" + text + "'");
        case RegexResult::over_budget: return misses.overrun(part, "'" + url_ + "'");
      }
    }
  }
}

void RequestPattern::header_misses(const RecordedRequest& r, Misses& misses) const {
  for (const auto& [name, matcher] : headers_) {
    bool any = false, seen = false, overran = false;
    std::string first;
    for (const auto& [key, value] : r.headers) {
      if (lower(key) != lower(name)) continue;
      if (!seen) first = value;
      seen = true;
      if (!any && matcher.matches(&value, &overran)) any = true;
    }
    if (!seen) any = matcher.matches(nullptr);
    if (any) continue;
    if (overran) misses.overrun("header " + name, matcher.describe());
    else misses.miss("header " + name + ": expected " + matcher.describe() + ", got " + (seen ? "'" + first + "'" : "absent"));
  }
}

void RequestPattern::query_misses(const RecordedRequest& r, Misses& misses) const {
  std::vector<std::pair<std::string, std::string>> params;
  std::string_view q = r.query;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    params.emplace_back(decode_query_component(part.substr(0, eq)),
                        eq == std::string_view::npos ? std::string() : decode_query_component(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  for (const auto& [name, matcher] : query_) {
    bool any = false, seen = false, overran = false;
    for (const auto& [key, value] : params) {
      if (key != name) continue;
      seen = true;
      if (!any && matcher.matches(&value, &overran)) any = true;
    }
    if (!seen) any = matcher.matches(nullptr);
    if (any) continue;
    if (overran) misses.overrun("query parameter " + name, matcher.describe());
    else misses.miss("query parameter " + name + ": expected " + matcher.describe());
  }
}

void RequestPattern::body_misses(const RecordedRequest& r, Misses& misses) const {
  std::optional<json::value> body_json;
  bool body_parsed = false;
  auto parsed_body = [&]() -> const json::value* {
    if (!body_parsed) {
      body_parsed = true;
      boost::system::error_code ec;
      json::value v = json::parse(r.body, ec);
      if (!ec) body_json = std::move(v);
    }
    return body_json ? &*body_json : nullptr;
  };
  for (const auto& body : body_) {
    bool ok = false, overran = false;
    switch (body.kind) {
      case BodyPattern::Kind::value: ok = body.value->matches(&r.body, &overran); break;
      case BodyPattern::Kind::equal_to_json: {
        const json::value* actual = parsed_body();
        ok = actual && json_equal(body.expected_json, *actual, body.ignore_array_order, body.ignore_extra_elements);
        break;
      }
      case BodyPattern::Kind::matches_json_path: {
        const json::value* actual = parsed_body();
        if (actual != nullptr) ok = json_path_matches(body, *actual, overran);
        break;
      }
    }
    if (ok) continue;
    if (overran) misses.overrun("body", body.description);
    else misses.miss("body: expected " + body.description);
  }
}

bool RequestPattern::json_path_matches(const BodyPattern& body, const json::value& actual, bool& overran) {
  auto selected = body.path->select(actual);
  if (!body.value) {
    return std::any_of(selected.begin(), selected.end(), [](const json::value* v) {
      return !v->is_null() && !(v->is_array() && v->get_array().empty());
    });
  }
  if (selected.empty()) return body.value->matches(nullptr);
  for (const json::value* v : selected) {
    std::string text = text_of(*v);
    if (body.value->matches(&text, &overran)) return true;
  }
  return false;
}

}  // namespace webhook_mock
