#include "journey_sim/activation_checks.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace journey_sim {
namespace {

namespace json = boost::json;

// The expectation `x`, met by the first error in `seen` not yet `used`
// that matches it.
ExpectationResult expected_error(const ValidationExpectation& x, const std::vector<ValidationSeen>& seen,
                                 std::vector<bool>& used) {
  ExpectationResult r;
  r.kind = "validation";
  r.name = x.activation + ": " + x.field;
  r.expected = "an error at " + x.field + (x.message_contains.empty() ? "" : " containing '" + x.message_contains + "'");
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (used[i] || seen[i].activation != x.activation || seen[i].field != x.field) continue;
    if (!x.message_contains.empty() && seen[i].message.find(x.message_contains) == std::string::npos) continue;
    used[i] = true;
    r.passed = true;
    r.actual = seen[i].message;
    return r;
  }
  r.actual = "no such error";
  for (const auto& e : seen) {
    if (e.activation == x.activation) r.detail += e.field + ": " + e.message + "\n";
  }
  return r;
}

}  // namespace

void substitute(json::value& v, const std::string& endpoint, const std::string& workdir) {
  if (auto* s = v.if_string()) {
    std::string text(*s);
    bool changed = false;
    for (auto [name, value] : {std::pair<std::string_view, const std::string&>{"${endpoint}", endpoint},
                               std::pair<std::string_view, const std::string&>{"${workdir}", workdir}}) {
      for (std::size_t pos; (pos = text.find(name)) != std::string::npos;) {
        text.replace(pos, name.size(), value);
        changed = true;
      }
    }
    if (changed) *s = text;
  } else if (auto* o = v.if_object()) {
    for (auto& m : *o) substitute(m.value(), endpoint, workdir);
  } else if (auto* a = v.if_array()) {
    for (auto& x : *a) substitute(x, endpoint, workdir);
  }
}

std::vector<ValidationSeen> validate_activations(const Scenario& s, const output_step_entry_t& plugin,
                                                 const std::string& endpoint) {
  std::vector<ValidationSeen> seen;
  for (const auto& a : s.activations) {
    json::value config = a.config;
    substitute(config, endpoint);
    std::string text = json::serialize(config);
    struct Sink {
      std::vector<ValidationSeen>* out;
      const std::string* activation;
    } sink{&seen, &a.name};
    plugin.validate(text.data(), text.size(),
                    [](void* context, const char* field, const char* message) {
                      auto* sk = static_cast<Sink*>(context);
                      sk->out->push_back({*sk->activation, field, message});
                    },
                    &sink);
  }
  return seen;
}

void check_validation(const Scenario& s, const std::vector<ValidationSeen>& seen, ScenarioResult& result) {
  std::vector<bool> used(seen.size(), false);
  for (const auto& x : s.validation_errors) result.expectations.push_back(expected_error(x, seen, used));
  // An error that was not expected makes the scenario invalid.
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (used[i]) continue;
    result.errors.push_back(s.file + ": /activations/" + seen[i].activation + ": " + seen[i].field + ": " +
                            seen[i].message + (s.validation_errors.empty() ? "" : " (not in expect.validation_errors)"));
  }
}

std::vector<UnsetVariable> stand_in_for_unset_variables(Scenario& s) {
  // What the plugin accepts in their place: a key, and a Standard Webhooks secret of 24 bytes.
  static const std::pair<std::string_view, std::string_view> kStandIns[] = {
      {"api_key", "journey-sim-placeholder"}, {"signing_secret", "whsec_am91cm5leS1zaW0gcGxhY2Vob2xkZXIh"}};
  std::vector<UnsetVariable> unset;
  for (auto& a : s.activations) {
    for (std::string_view section : {"auth", "delivery"}) {
      auto* part = a.config.if_contains(section);
      auto* o = part ? part->if_object() : nullptr;
      if (o == nullptr) continue;
      for (const auto& [key, stand_in] : kStandIns) {
        const std::string env_key = std::string(key) + "_env";
        const auto* name = o->if_contains(env_key);
        if (name == nullptr || !name->is_string()) continue;
        const char* value = std::getenv(std::string(name->get_string()).c_str());
        if (value != nullptr && *value != '\0') continue;
        const std::string field = std::string(section) + "." + env_key;
        // Given with its other forms, or its error expected: the plugin judges it as it is.
        const bool expected = std::any_of(s.validation_errors.begin(), s.validation_errors.end(),
                                          [&](const ValidationExpectation& x) { return x.activation == a.name && x.field == field; });
        if (expected || o->contains(key) || o->contains(std::string(key) + "_file")) continue;
        unset.push_back({a.name, field, std::string(name->get_string())});
        o->erase(env_key);
        (*o)[key] = stand_in;
      }
    }
  }
  return unset;
}

}  // namespace journey_sim
