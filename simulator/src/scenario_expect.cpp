// /endpoint (the mock's mappings) and /expect: requests, outcomes, order
// and validation errors.
#include "journey_sim/scenario_reader.hpp"

#include <boost/json/value.hpp>

#include <algorithm>

namespace journey_sim::scenario_parser {
namespace {

namespace json = boost::json;

// A header name as HTTP defines one (a token): what same_header may name.
bool is_header_name(std::string_view name) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

// Which of exactly, at_least, at_most, none the expectation gives, and its
// count; how many of them it gives (an error unless one).
int parse_count_rule(ScenarioReader& r, const json::object& o, const std::string& at, RequestExpectation& x) {
  int rules = 0;
  for (auto [key, rule] : {std::pair{"exactly", RequestExpectation::Rule::exactly},
                           std::pair{"at_least", RequestExpectation::Rule::at_least},
                           std::pair{"at_most", RequestExpectation::Rule::at_most}}) {
    if (auto c = o.find(key); c != o.end()) {
      ++rules;
      x.rule = rule;
      x.count = r.unsigned_integer(c->value(), r.join(at, key)).value_or(0);
    }
  }
  if (auto none = o.find("none"); none != o.end()) {
    ++rules;
    if (!none->value().is_bool() || !none->value().get_bool()) r.error(at + "/none", "must be true");
    x.rule = RequestExpectation::Rule::exactly;
    x.count = 0;
  }
  if (rules != 1) r.error(at, "give exactly one of exactly, at_least, at_most, none");
  return rules;
}

// One of /expect/requests: a pattern, how many requests match it, and
// optionally a header they must share.
RequestExpectation parse_request_expectation(ScenarioReader& r, const json::object& o, const std::string& at,
                                             std::size_t i) {
  r.only_keys(o, at, {"name", "request", "exactly", "at_least", "at_most", "none", "same_header"});
  RequestExpectation x;
  x.name = r.string(o, at, "name", false).value_or("requests #" + std::to_string(i + 1));
  if (auto p = o.find("request"); p != o.end()) x.pattern = p->value();
  else x.pattern = json::object{};
  const bool on_no_request =
      parse_count_rule(r, o, at, x) == 1 && x.rule == RequestExpectation::Rule::exactly && x.count == 0;
  if (auto header = r.string(o, at, "same_header", false)) {
    if (!is_header_name(*header)) {
      r.error(at + "/same_header", "'" + *header + "' is not a header name; give one such as webhook-id "
                                   "(letters, digits and !#$%&'*+-.^_`|~)");
    } else if (on_no_request) {
      r.error(at + "/same_header", "compares the requests that match, so it needs some: not with none or exactly 0");
    }
    x.same_header = *header;
  }
  return x;
}

void parse_outcomes(ScenarioReader& r, const json::object& o, Scenario& s) {
  const std::string at = "/expect/outcomes";
  r.only_keys(o, at, {"delivered", "dead_lettered", "failed"});
  for (auto [key, target] : {std::pair{"delivered", &s.expect_delivered},
                             std::pair{"dead_lettered", &s.expect_dead_lettered},
                             std::pair{"failed", &s.expect_failed}}) {
    if (const auto* v = o.if_contains(key)) *target = r.unsigned_integer(*v, r.join(at, key));
  }
}

OrderExpectation parse_order(ScenarioReader& r, const json::object& o, const std::string& at, std::size_t i) {
  r.only_keys(o, at, {"name", "request", "key", "sequence"});
  OrderExpectation x;
  x.name = r.string(o, at, "name", false).value_or("order #" + std::to_string(i + 1));
  if (auto p = o.find("request"); p != o.end()) x.pattern = p->value();
  x.key = r.string(o, at, "key", true).value_or("");
  x.sequence = r.string(o, at, "sequence", true).value_or("");
  return x;
}

ValidationExpectation parse_validation_error(ScenarioReader& r, const json::object& o, const std::string& at,
                                             const Scenario& s) {
  r.only_keys(o, at, {"activation", "field", "message_contains"});
  ValidationExpectation x;
  x.activation = r.string(o, at, "activation", true).value_or("");
  x.field = r.string(o, at, "field", true).value_or("");
  x.message_contains = r.string(o, at, "message_contains", false).value_or("");
  if (!x.activation.empty() && !has_activation(s, x.activation)) {
    r.error(at + "/activation", "names '" + x.activation + "', which is not in /activations");
  }
  return x;
}

// Calls `parse(object, at, i)` for each item of the array at `key` that is
// an object.
template <class Parse>
void for_each_object(ScenarioReader& r, const json::object& parent, const std::string& where, std::string_view key,
                     Parse parse) {
  const auto* list = r.array(parent, where, key);
  if (!list) return;
  const std::string at = r.join(where, key);
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string item = r.index(at, i);
    if (const auto* o = r.object((*list)[i], item)) parse(*o, item, i);
  }
}

}  // namespace

void parse_endpoint(ScenarioReader& r, const json::object& top, Scenario& s) {
  const auto* o = r.object(top, "", "endpoint");
  if (!o) return;
  r.only_keys(*o, "/endpoint", {"mappings"});
  if (const auto* list = r.array(*o, "/endpoint", "mappings")) s.mappings = *list;
}

void parse_expectations(ScenarioReader& r, const json::object& top, Scenario& s) {
  const auto* e = r.object(top, "", "expect");
  if (!e) return;
  const std::string at = "/expect";
  r.only_keys(*e, at, {"requests", "outcomes", "order", "validation_errors"});
  for_each_object(r, *e, at, "requests", [&](const json::object& o, const std::string& item, std::size_t i) {
    s.requests.push_back(parse_request_expectation(r, o, item, i));
  });
  if (const auto* o = r.object(*e, at, "outcomes")) parse_outcomes(r, *o, s);
  for_each_object(r, *e, at, "order", [&](const json::object& o, const std::string& item, std::size_t i) {
    s.order.push_back(parse_order(r, o, item, i));
  });
  for_each_object(r, *e, at, "validation_errors", [&](const json::object& o, const std::string& item, std::size_t) {
    s.validation_errors.push_back(parse_validation_error(r, o, item, s));
  });
}

}  // namespace journey_sim::scenario_parser
