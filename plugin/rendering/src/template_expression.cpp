// The text inside "{{ ... }}": a variable, then filters ("| lower",
// "| default: \"none\""), and what the variable reads.
#include "template_parts.hpp"

namespace webhook::template_detail {
namespace {

constexpr std::string_view kAllowedVariables =
    "allowed: auth.api_key, profile.NAME, event.NAME, journey.name, journey.stage, "
    "activation.name, activation.id, event_id, event_name, event_time, journey_name, "
    "journey_stage_name, activation_name, or a flat NAME (a profile attribute, else an "
    "event field)";

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

// The dotted names of the variable ("profile", "id"), from `i` on.
bool parse_names(std::string_view text, std::size_t& i, std::vector<std::string>& names, Placeholder& out,
                 std::string& error) {
  for (;;) {
    const std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    if (i == start) {
      error = "expected a variable name";
      return false;
    }
    names.emplace_back(text.substr(start, i - start));
    out.variable += (out.variable.empty() ? "" : ".") + names.back();
    if (i >= text.size() || text[i] != '.') return true;
    ++i;
  }
}

bool filter_kind(std::string_view name, FilterKind& kind, std::string& error) {
  if (name == "default") kind = FilterKind::default_value;
  else if (name == "lower") kind = FilterKind::lower;
  else if (name == "upper") kind = FilterKind::upper;
  else if (name == "trim") kind = FilterKind::trim;
  else if (name == "sha256") kind = FilterKind::sha256;
  else if (name == "urlencode") kind = FilterKind::urlencode;
  else if (name == "json") kind = FilterKind::json;
  else {
    error = "unknown filter '" + std::string(name) + "'; allowed: default, lower, upper, trim, sha256, urlencode, json";
    return false;
  }
  return true;
}

// default's argument: `: "text"`, backslash escaping the next character.
bool parse_default_argument(std::string_view text, std::size_t& i, std::string& argument, std::string& error) {
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
  while (i < text.size()) {
    const char c = text[i++];
    if (c == '\\' && i < text.size()) {
      argument += text[i++];
    } else if (c == '"') {
      skip_spaces(text, i);
      return true;
    } else {
      argument += c;
    }
  }
  error = "unterminated string in filter 'default'";
  return false;
}

// One "| name" (with its argument), `i` at the '|'.
bool parse_filter(std::string_view text, std::size_t& i, Placeholder& out, std::string& error) {
  ++i;
  skip_spaces(text, i);
  const std::size_t start = i;
  while (i < text.size() && is_name_char(text[i])) ++i;
  const std::string_view name = text.substr(start, i - start);
  Filter filter{};
  if (!filter_kind(name, filter.kind, error)) return false;
  skip_spaces(text, i);
  if (filter.kind == FilterKind::default_value) {
    if (!parse_default_argument(text, i, filter.argument, error)) return false;
  } else if (i < text.size() && text[i] == ':') {
    error = "filter '" + std::string(name) + "' takes no argument";
    return false;
  }
  out.filters.push_back(std::move(filter));
  return true;
}

// A variable of one name: the flat names and their aliases.
bool bind_single_name(const std::string& name, Placeholder& out) {
  if (name == "event_name" || name == "event_time") {
    out.source = Source::event;
    out.path = {name == "event_name" ? "name" : "time"};
    return true;
  }
  if (name == "event_id") out.source = Source::event_id;
  else if (name == "journey_name") out.source = Source::journey_name;
  else if (name == "journey_stage_name") out.source = Source::journey_stage;
  else if (name == "activation_name") out.source = Source::activation_name;
  else {
    out.source = Source::flat;
    out.path = {name};
  }
  return true;
}

// What a dotted variable reads (auth.api_key, profile.PATH, journey.name...).
bool bind_source(const std::vector<std::string>& names, Placeholder& out, std::string& error) {
  const std::string& root = names.front();
  if (names.size() == 1) return bind_single_name(root, out);
  const std::string_view second = names[1];
  const bool pair = names.size() == 2;
  if (root == "auth") {
    if (pair && second == "api_key") {
      out.source = Source::api_key;
      return true;
    }
    error = "unknown variable '" + root + "." + std::string(second) + "'; the authentication offers only auth.api_key";
    return false;
  }
  if (root == "profile" || root == "event") {
    out.source = root == "profile" ? Source::profile : Source::event;
    out.path.assign(names.begin() + 1, names.end());
    return true;
  }
  if (root == "journey" && pair && (second == "name" || second == "stage")) {
    out.source = second == "name" ? Source::journey_name : Source::journey_stage;
    return true;
  }
  if (root == "activation" && pair && (second == "name" || second == "id")) {
    out.source = second == "name" ? Source::activation_name : Source::activation_id;
    return true;
  }
  error = "unknown variable '" + out.variable + "'; " + std::string(kAllowedVariables);
  return false;
}

}  // namespace

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool parse_expression(std::string_view text, Placeholder& out, std::string& error) {
  out.display = std::string(trim(text));
  std::size_t i = 0;
  skip_spaces(text, i);
  std::vector<std::string> names;
  if (!parse_names(text, i, names, out, error)) return false;
  skip_spaces(text, i);
  while (i < text.size() && text[i] == '|') {
    if (!parse_filter(text, i, out, error)) return false;
  }
  if (i != text.size()) {
    error = "unexpected '" + std::string(text.substr(i, 1)) + "'";
    return false;
  }
  return bind_source(names, out, error);
}

}  // namespace webhook::template_detail
