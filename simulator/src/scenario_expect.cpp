// /endpoint (the mock's mappings) and /expect: requests, outcomes, order
// and validation errors.
#include "journey_sim/scenario_reader.hpp"

#include "webhook_mock/json_path.hpp"
#include "webhook_mock/request_pattern.hpp"
#include "webhook_mock/stubs.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

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

// A pattern's "method" in capitals: methods are case-insensitive in an
// expectation, as in an activation.
json::value upper_case_method(json::value pattern) {
  if (auto* o = pattern.if_object()) {
    if (auto* method = o->if_contains("method"); method && method->is_string()) {
      std::string text(method->get_string());
      std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
      *method = text;
    }
  }
  return pattern;
}

// Each error webhook-mock's parser gives, under `at` in the scenario.
void report(ScenarioReader& r, const std::string& at, const std::vector<webhook_mock::PatternError>& errors) {
  for (const auto& e : errors) r.error(at + e.pointer, e.detail);
}

// A request pattern as webhook-mock (and so `run`) reads it.
void check_pattern(ScenarioReader& r, const json::value& pattern, const std::string& at) {
  std::vector<webhook_mock::PatternError> errors;
  if (!webhook_mock::RequestPattern::parse(pattern, "", errors) && errors.empty()) r.error(at, "is not a request pattern");
  report(r, at, errors);
}

void check_json_path(ScenarioReader& r, const std::string& path, const std::string& at) {
  std::string error;
  if (!path.empty() && !webhook_mock::JsonPath::compile(path, error)) r.error(at, error);
}

// RFC 6901, not the whole document: "/a/b", "~0" and "~1" the only escapes.
bool is_json_pointer(std::string_view p) {
  if (p.size() < 2 || p[0] != '/') return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}

bool has_signing_secret(const Scenario& s) {
  return std::any_of(s.activations.begin(), s.activations.end(), [](const ActivationSpec& a) {
    const auto* delivery = a.config.if_contains("delivery");
    const auto* d = delivery ? delivery->if_object() : nullptr;
    return d && (d->contains("signing_secret") || d->contains("signing_secret_env") || d->contains("signing_secret_file"));
  });
}

// The count rule's key and its rule (at_least and atLeast alike: WireMock's
// spelling and ours).
constexpr std::pair<std::string_view, RequestExpectation::Rule> kCountKeys[] = {
    {"exactly", RequestExpectation::Rule::exactly},   {"at_least", RequestExpectation::Rule::at_least},
    {"atLeast", RequestExpectation::Rule::at_least}, {"at_most", RequestExpectation::Rule::at_most},
    {"atMost", RequestExpectation::Rule::at_most}};

// between: [a, b] with a <= b.
void parse_between(ScenarioReader& r, const json::value& v, const std::string& at, RequestExpectation& x) {
  const auto* pair = v.if_array();
  if (pair == nullptr || pair->size() != 2) {
    r.error(at, "must be [LOW, HIGH]: two counts, the bounds included");
    return;
  }
  x.rule = RequestExpectation::Rule::between;
  x.count = r.unsigned_integer((*pair)[0], at + "/0").value_or(0);
  x.count_max = r.unsigned_integer((*pair)[1], at + "/1").value_or(0);
  if (x.count > x.count_max) r.error(at, "its low bound is above its high bound");
}

// The count the expectation gives (exactly, at_least/atLeast,
// at_most/atMost, between, none); how many it gives. None at all means at
// least one when `others` (checks on the matching requests) are given.
int parse_count_rule(ScenarioReader& r, const json::object& o, const std::string& at, bool others,
                     RequestExpectation& x) {
  int rules = 0;
  for (auto [key, rule] : kCountKeys) {
    if (auto c = o.find(key); c != o.end()) {
      ++rules;
      x.rule = rule;
      x.count = r.unsigned_integer(c->value(), r.join(at, key)).value_or(0);
    }
  }
  if (auto between = o.find("between"); between != o.end()) {
    ++rules;
    parse_between(r, between->value(), at + "/between", x);
  }
  if (auto none = o.find("none"); none != o.end()) {
    ++rules;
    if (!none->value().is_bool() || !none->value().get_bool()) r.error(at + "/none", "must be true");
    x.rule = RequestExpectation::Rule::exactly;
    x.count = 0;
  }
  if (rules == 0 && others) {
    x.rule = RequestExpectation::Rule::at_least;
    x.count = 1;
    return 1;
  }
  if (rules != 1) r.error(at, "give exactly one of exactly, at_least (atLeast), at_most (atMost), between, none");
  return rules;
}

// signature, no_duplicates, ordered_by, attempts: what the matching
// requests must show beyond their count.
void parse_request_checks(ScenarioReader& r, const json::object& o, const std::string& at, const Scenario& s,
                          RequestExpectation& x) {
  if (auto signature = r.one_of(o, at, "signature", {"valid"})) {
    x.signature_valid = true;
    if (!has_signing_secret(s)) {
      r.error(at + "/signature", "needs an activation with delivery.signing_secret (or _env, _file) to check against");
    }
  }
  if (const auto* v = o.if_contains("no_duplicates")) {
    if (!v->is_bool() || !v->get_bool()) r.error(at + "/no_duplicates", "must be true");
    x.no_duplicates = true;
  }
  if (auto pointer = r.string(o, at, "ordered_by", false)) {
    if (!is_json_pointer(*pointer)) {
      r.error(at + "/ordered_by", "'" + *pointer + "' is not a JSON pointer into the body, such as /profile/id");
    }
    x.ordered_by = *pointer;
  }
  if (const auto* list = r.array(o, at, "attempts")) {
    x.attempts.emplace();
    if (list->empty()) r.error(at + "/attempts", "lists each attempt's HTTP status, in order: give at least one");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string item = r.index(at + "/attempts", i);
      const auto status = r.integer((*list)[i], item, 0, 599);
      if (status && *status != 0 && *status < 100) r.error(item, "is an HTTP status 100 to 599, or 0 for a fault");
      x.attempts->push_back(static_cast<int>(status.value_or(0)));
    }
  }
}

// One of /expect/requests: a pattern, how many requests match it, and what
// those requests must show.
RequestExpectation parse_request_expectation(ScenarioReader& r, const json::object& o, const std::string& at,
                                             std::size_t i, const Scenario& s) {
  r.only_keys(o, at, {"name", "request", "exactly", "at_least", "atLeast", "at_most", "atMost", "between", "none",
                      "same_header", "signature", "no_duplicates", "ordered_by", "attempts"});
  RequestExpectation x;
  x.name = r.string(o, at, "name", false).value_or("requests #" + std::to_string(i + 1));
  if (auto p = o.find("request"); p != o.end()) {
    x.pattern = upper_case_method(p->value());
    check_pattern(r, x.pattern, at + "/request");
  } else {
    x.pattern = json::object{};
  }
  parse_request_checks(r, o, at, s, x);
  const bool others = o.contains("same_header") || x.signature_valid || x.no_duplicates || !x.ordered_by.empty() ||
                      x.attempts.has_value();
  const bool one_rule = parse_count_rule(r, o, at, others, x) == 1;
  const std::size_t most = x.rule == RequestExpectation::Rule::between ? x.count_max : x.count;  // the count's upper bound
  const bool on_no_request = one_rule && x.rule != RequestExpectation::Rule::at_least && most == 0;
  if (auto header = r.string(o, at, "same_header", false)) {
    if (!is_header_name(*header)) {
      r.error(at + "/same_header", "'" + *header + "' is not a header name; give one such as webhook-id "
                                   "(letters, digits and !#$%&'*+-.^_`|~)");
    }
    x.same_header = *header;
  }
  for (std::string_view key : {"same_header", "signature", "no_duplicates", "ordered_by", "attempts"}) {
    if (on_no_request && o.contains(key)) {
      r.error(at + "/" + std::string(key),
              "compares the requests that match, so it needs some: not with none, exactly 0, at_most 0 or between [0, 0]");
    }
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
  if (auto p = o.find("request"); p != o.end()) {
    x.pattern = upper_case_method(p->value());
    check_pattern(r, x.pattern, at + "/request");
  }
  x.key = r.string(o, at, "key", true).value_or("");
  x.sequence = r.string(o, at, "sequence", true).value_or("");
  check_json_path(r, x.key, at + "/key");
  check_json_path(r, x.sequence, at + "/sequence");
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
  const auto* list = r.array(*o, "/endpoint", "mappings");
  if (!list) return;
  s.mappings = *list;
  for (std::size_t i = 0; i < list->size(); ++i) {  // as webhook-mock reads them: what `run` gives the endpoint
    std::vector<webhook_mock::PatternError> errors;
    if (!webhook_mock::parse_stub((*list)[i], errors) && errors.empty()) r.error(r.index("/endpoint/mappings", i), "is not a stub");
    report(r, r.index("/endpoint/mappings", i), errors);
  }
}

void parse_expectations(ScenarioReader& r, const json::object& top, Scenario& s) {
  if (!top.contains("expect")) {
    r.error("/expect", "is required: what the run must show; a scenario that checks nothing says \"expect\": {}");
    return;
  }
  const auto* e = r.object(top, "", "expect");
  if (!e) return;
  const std::string at = "/expect";
  r.only_keys(*e, at, {"requests", "outcomes", "order", "validation_errors"});
  for_each_object(r, *e, at, "requests", [&](const json::object& o, const std::string& item, std::size_t i) {
    s.requests.push_back(parse_request_expectation(r, o, item, i, s));
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
