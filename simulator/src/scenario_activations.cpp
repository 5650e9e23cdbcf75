// /authentications and /activations: each activation becomes a plugin
// configuration ({auth, activation, advanced, delivery}), and its secrets
// are kept to be masked in reports.
#include "journey_sim/scenario_reader.hpp"

#include <webhook_common/file_text.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdlib>

namespace journey_sim::scenario_parser {
namespace {

namespace json = boost::json;

void collect_secrets(const json::object& auth, const json::object* delivery, std::vector<std::string>& secrets) {
  for (auto& value : secret_values(auth, "api_key")) secrets.push_back(std::move(value));
  if (delivery == nullptr) return;
  for (auto& value : secret_values(*delivery, "signing_secret")) secrets.push_back(std::move(value));
}

// The plugin's configuration of one activation, in the shape the plugin
// reads; its authentication looked up by name in `auths`.
json::object plugin_config(ScenarioReader& r, const json::object& a, const std::string& at, std::string_view name,
                           const json::object& auths) {
  json::object config;
  if (auto auth_name = r.string(a, at, "authentication", true)) {
    auto found = auths.find(*auth_name);
    if (found == auths.end() || !found->value().is_object()) {
      r.error(at + "/authentication", "names '" + *auth_name + "', which is not in /authentications");
    } else {
      config["auth"] = found->value();
    }
  }
  json::object act;
  act["name"] = a.contains("name") ? a.at("name") : json::value(name);
  for (const char* key : {"id", "method", "url", "headers", "body", "body_format"}) {
    if (auto f = a.find(key); f != a.end()) act[key] = f->value();
  }
  config["activation"] = std::move(act);
  if (auto f = a.find("advanced"); f != a.end()) config["advanced"] = f->value();
  if (auto f = a.find("delivery"); f != a.end()) config["delivery"] = f->value();
  return config;
}

}  // namespace

bool has_activation(const Scenario& s, std::string_view name) {
  return std::any_of(s.activations.begin(), s.activations.end(),
                     [&](const ActivationSpec& a) { return a.name == name; });
}

void parse_activations(ScenarioReader& r, const json::object& top, Scenario& s) {
  json::object auths;
  if (const auto* o = r.object(top, "", "authentications")) auths = *o;
  if (const auto* o = r.object(top, "", "activations")) {
    for (const auto& [name, spec] : *o) {
      const std::string at = r.join("/activations", name);
      const auto* a = r.object(spec, at);
      if (!a) continue;
      r.only_keys(*a, at, {"authentication", "name", "id", "method", "url", "headers", "body", "body_format",
                           "advanced", "delivery"});
      ActivationSpec activation;
      activation.name = std::string(name);
      activation.config = plugin_config(r, *a, at, name, auths);
      if (const auto* auth = activation.config.if_contains("auth"); auth && auth->is_object()) {
        const auto* delivery = activation.config.if_contains("delivery");
        collect_secrets(auth->get_object(), delivery ? delivery->if_object() : nullptr, s.secrets);
      }
      s.activations.push_back(std::move(activation));
    }
  }
  std::sort(s.secrets.begin(), s.secrets.end());
  s.secrets.erase(std::unique(s.secrets.begin(), s.secrets.end()), s.secrets.end());
}

}  // namespace journey_sim::scenario_parser

namespace journey_sim {

std::vector<std::string> secret_values(const boost::json::object& section, std::string_view key) {
  std::vector<std::string> values;
  const auto text = [&](const std::string& name) -> std::optional<std::string> {
    const auto* v = section.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
  };
  if (auto value = text(std::string(key))) values.push_back(*value);
  if (auto name = text(std::string(key) + "_env")) {
    if (const char* value = std::getenv(name->c_str())) values.emplace_back(value);
  }
  if (auto path = text(std::string(key) + "_file")) {
    if (auto value = webhook_common::read_file(*path)) {
      while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
      values.push_back(std::move(*value));
    }
  }
  std::erase_if(values, [](const std::string& v) { return v.empty(); });
  return values;
}

}  // namespace journey_sim
