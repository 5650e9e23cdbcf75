// The pieces of a compiled template that its parts share: what a
// placeholder reads and how it is filtered, and the parser of the text
// inside "{{ ... }}" (template_expression.cpp).
#pragma once

#include <webhook/rendering/template.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace webhook::template_detail {

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

// Parses the inside of "{{ ... }}". Returns false and sets `error`.
bool parse_expression(std::string_view text, Placeholder& out, std::string& error);

// `s` without leading and trailing spaces, tabs and line breaks.
std::string_view trim(std::string_view s);

}  // namespace webhook::template_detail
