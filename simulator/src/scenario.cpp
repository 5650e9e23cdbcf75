#include "scenario.hpp"

#include "generator.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/request_pattern.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace journey_sim {
namespace {

namespace json = boost::json;

class Reader {
 public:
  Reader(std::string file, std::vector<ScenarioError>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const std::string& pointer, std::string message) {
    errors_.push_back({file_, pointer, 0, 0, std::move(message)});
  }
  std::size_t count() const { return errors_.size(); }
  const std::string& file() const { return file_; }

  void only_keys(const json::object& o, const std::string& at, std::initializer_list<std::string_view> allowed) {
    for (const auto& m : o) {
      if (std::find(allowed.begin(), allowed.end(), m.key()) != allowed.end()) continue;
      std::string list;
      for (auto k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
      error(at + "/" + webhook_mock::escape_json_pointer(m.key()), "unknown key '" + std::string(m.key()) + "'; allowed here: " + list);
    }
  }
  const json::object* object(const json::value& v, const std::string& at) {
    if (const auto* o = v.if_object()) return o;
    error(at, "must be an object");
    return nullptr;
  }
  const json::array* array(const json::value& v, const std::string& at) {
    if (const auto* a = v.if_array()) return a;
    error(at, "must be an array");
    return nullptr;
  }
  std::optional<std::string> string(const json::object& o, const std::string& at, std::string_view key,
                                    bool required) {
    auto it = o.find(key);
    if (it == o.end()) {
      if (required) error(at + "/" + std::string(key), "is required (a string)");
      return std::nullopt;
    }
    if (!it->value().is_string()) {
      error(at + "/" + std::string(key), "must be a string");
      return std::nullopt;
    }
    return std::string(it->value().get_string());
  }
  std::optional<std::int64_t> duration(const json::object& o, const std::string& at, std::string_view key,
                                       bool required) {
    auto text = string(o, at, key, required);
    if (!text) return std::nullopt;
    bool too_long = false;
    auto ms = parse_duration(*text, &too_long);
    if (too_long) error(at + "/" + std::string(key), "'" + *text + "' is longer than 100 years; a duration is at most 36525d");
    else if (!ms) error(at + "/" + std::string(key), "'" + *text + "' is not a duration; write e.g. 500ms, 90s, 5m, 2h, 3d, 1w, 1h30m");
    return ms;
  }
  std::optional<std::uint64_t> count_value(const json::value& v, const std::string& at) {
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_uint64()) return v.get_uint64();
    error(at, "must be a whole number, 0 or more");
    return std::nullopt;
  }

 private:
  std::string file_;
  std::vector<ScenarioError>& errors_;
};

std::optional<Condition::Op> op_from(std::string_view s) {
  using Op = Condition::Op;
  if (s == "eq") return Op::eq;
  if (s == "ne") return Op::ne;
  if (s == "lt") return Op::lt;
  if (s == "gt") return Op::gt;
  if (s == "lte") return Op::lte;
  if (s == "gte") return Op::gte;
  if (s == "exists") return Op::exists;
  if (s == "not_exists") return Op::not_exists;
  if (s == "in") return Op::in;
  if (s == "contains") return Op::contains;
  return std::nullopt;
}

std::optional<Criteria> parse_criteria(Reader& r, const json::value& v, const std::string& at) {
  const auto* o = r.object(v, at);
  if (!o) return std::nullopt;
  r.only_keys(*o, at, {"event", "conditions"});
  Criteria c;
  c.event = r.string(*o, at, "event", false).value_or("");
  if (auto it = o->find("conditions"); it != o->end()) {
    if (const auto* list = r.array(it->value(), at + "/conditions")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string item = at + "/conditions/" + std::to_string(i);
        const auto* co = r.object((*list)[i], item);
        if (!co) continue;
        r.only_keys(*co, item, {"field", "op", "value"});
        Condition cond;
        auto field = r.string(*co, item, "field", true);
        auto op = r.string(*co, item, "op", true);
        if (field) {
          if (!field->starts_with("event.") && !field->starts_with("profile.")) {
            r.error(item + "/field", "'" + *field + "' must start with 'event.' or 'profile.'");
          }
          cond.field = *field;
        }
        if (op) {
          auto parsed = op_from(*op);
          if (!parsed) {
            r.error(item + "/op", "'" + *op + "' is not an operator; allowed: eq, ne, lt, gt, lte, gte, exists, not_exists, in, contains");
          } else {
            cond.op = *parsed;
          }
        }
        bool needs_value = cond.op != Condition::Op::exists && cond.op != Condition::Op::not_exists;
        if (auto it2 = co->find("value"); it2 != co->end()) {
          cond.value = it2->value();
          if (cond.op == Condition::Op::in && !cond.value.is_array()) r.error(item + "/value", "must be an array for 'in'");
        } else if (needs_value && op) {
          r.error(item + "/value", "is required for '" + *op + "'");
        }
        c.conditions.push_back(std::move(cond));
      }
    }
  }
  return c;
}

// Reads NDJSON `path` (relative to the scenario's folder) as objects.
std::vector<std::pair<int, json::object>> read_ndjson(Reader& r, const std::string& scenario_file, const std::string& path,
                                                      const std::string& at) {
  std::filesystem::path full = path;
  if (full.is_relative()) full = std::filesystem::path(scenario_file).parent_path() / full;
  std::ifstream in(full);
  std::vector<std::pair<int, json::object>> out;
  if (!in) {
    r.error(at, "cannot read '" + full.string() + "'");
    return out;
  }
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      r.error(at, full.string() + ":" + std::to_string(line_number) + ": not a JSON object" +
                      (ec ? " (" + ec.message() + ")" : std::string()));
      continue;
    }
    out.emplace_back(line_number, std::move(v.get_object()));
  }
  return out;
}

void parse_event(Reader& r, const json::object& o, const std::string& at, std::int64_t start_ms,
                 std::vector<Event>& out) {
  r.only_keys(o, at, {"profile", "name", "at", "id", "fields"});
  Event e;
  auto profile = r.string(o, at, "profile", true);
  auto name = r.string(o, at, "name", true);
  auto when = r.string(o, at, "at", false);
  e.id = r.string(o, at, "id", false).value_or("");
  e.at_ms = start_ms;
  if (when) {
    if (when->starts_with("+")) {
      bool too_long = false;
      auto d = parse_duration(std::string_view(*when).substr(1), &too_long);
      if (too_long) r.error(at + "/at", "'" + *when + "' is more than 100 years after the start; at most +36525d");
      else if (!d) r.error(at + "/at", "'" + *when + "' is not a relative time; write e.g. +90s, +3d");
      else e.at_ms = start_ms + *d;
    } else {
      auto t = parse_timestamp(*when);
      if (!t) r.error(at + "/at", "'" + *when + "' is not a time; write an ISO 8601 UTC time or +DURATION");
      else e.at_ms = *t;
    }
  }
  if (auto it = o.find("fields"); it != o.end()) {
    if (const auto* f = r.object(it->value(), at + "/fields")) e.fields = *f;
  }
  if (!profile || !name) return;
  e.profile = *profile;
  e.name = *name;
  out.push_back(std::move(e));
}

std::string first_comment_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line.compare(start, 2, "//") != 0) return {};
    std::string purpose = line.substr(start + 2);
    purpose.erase(0, purpose.find_first_not_of(' '));
    return purpose;
  }
  return {};
}

void collect_secrets(const json::object& auth, const json::object* delivery, std::vector<std::string>& secrets) {
  auto add = [&](const json::object& o, std::string_view key) {
    if (auto it = o.find(key); it != o.end() && it->value().is_string() && !it->value().get_string().empty()) {
      secrets.emplace_back(it->value().get_string());
    }
    std::string env_key = std::string(key) + "_env";
    if (auto it = o.find(env_key); it != o.end() && it->value().is_string()) {
      if (const char* value = std::getenv(std::string(it->value().get_string()).c_str()); value && *value) {
        secrets.emplace_back(value);
      }
    }
  };
  add(auth, "api_key");
  if (delivery) add(*delivery, "signing_secret");
}

// A header name as HTTP defines one (a token): what same_header may name.
bool is_header_name(std::string_view name) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

// One of /expect/requests: a pattern, how many requests match it, and
// optionally a header they must share.
std::optional<RequestExpectation> parse_request_expectation(Reader& r, const json::value& v, std::size_t i) {
  std::string at = "/expect/requests/" + std::to_string(i);
  const auto* o = r.object(v, at);
  if (!o) return std::nullopt;
  r.only_keys(*o, at, {"name", "request", "exactly", "at_least", "at_most", "none", "same_header"});
  RequestExpectation x;
  x.name = r.string(*o, at, "name", false).value_or("requests #" + std::to_string(i + 1));
  if (auto p = o->find("request"); p != o->end()) x.pattern = p->value();
  else x.pattern = json::object{};
  int rules = 0;
  for (auto [key, rule] : {std::pair{"exactly", RequestExpectation::Rule::exactly},
                           std::pair{"at_least", RequestExpectation::Rule::at_least},
                           std::pair{"at_most", RequestExpectation::Rule::at_most}}) {
    if (auto c = o->find(key); c != o->end()) {
      ++rules;
      x.rule = rule;
      x.count = r.count_value(c->value(), at + "/" + key).value_or(0);
    }
  }
  if (auto none = o->find("none"); none != o->end()) {
    ++rules;
    if (!none->value().is_bool() || !none->value().get_bool()) r.error(at + "/none", "must be true");
    x.rule = RequestExpectation::Rule::exactly;
    x.count = 0;
  }
  if (rules != 1) r.error(at, "give exactly one of exactly, at_least, at_most, none");
  if (auto header = r.string(*o, at, "same_header", false)) {
    if (!is_header_name(*header)) {
      r.error(at + "/same_header", "'" + *header + "' is not a header name; give one such as webhook-id "
                                   "(letters, digits and !#$%&'*+-.^_`|~)");
    } else if (rules == 1 && x.rule == RequestExpectation::Rule::exactly && x.count == 0) {
      r.error(at + "/same_header", "compares the requests that match, so it needs some: not with none or exactly 0");
    }
    x.same_header = *header;
  }
  return x;
}

}  // namespace

std::string ScenarioError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!pointer.empty()) out += pointer + ": ";
  return out + message;
}

std::optional<std::int64_t> parse_duration(std::string_view text, bool* too_long) {
  if (too_long != nullptr) *too_long = false;
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  bool beyond = false;  // past the bound: read on, so that a typo is still told apart
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    std::int64_t n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (n <= kMaxDurationMs) n = n * 10 + (text[i] - '0');  // no further once past the bound: no overflow
    }
    if (i == start) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t factor = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000
                        : unit == "d" ? 86'400'000 : unit == "w" ? 604'800'000 : 0;
    if (factor == 0) return std::nullopt;
    if (beyond || n > (kMaxDurationMs - total) / factor) beyond = true;
    else total += n * factor;
  }
  if (beyond) {
    if (too_long != nullptr) *too_long = true;
    return std::nullopt;
  }
  return total;
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int millis = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits++ < 3) millis = millis * 10 + (*rest - '0');
      ++rest;
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (*rest != 'Z' || rest[1] != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
}

std::string format_timestamp(std::int64_t unix_ms) { return webhook_mock::iso8601(unix_ms); }

std::optional<Scenario> load_scenario(const std::string& path, std::vector<ScenarioError>& errors, std::uint64_t seed) {
  std::size_t first_error = errors.size();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, "", 0, 0, "cannot read the file"});
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();

  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    errors.push_back({path, "", line, column, "not valid JSON: " + ec.message()});
    return std::nullopt;
  }
  json::value root = parser.release();
  Reader r(path, errors);
  const auto* top = r.object(root, "");
  if (!top) return std::nullopt;
  r.only_keys(*top, "", {"name", "description", "start", "authentications", "activations", "journey",
                         "realtime_attributes", "profiles", "events", "endpoint", "expect"});
  Scenario s;
  s.file = path;
  s.purpose = first_comment_line(text);
  s.name = r.string(*top, "", "name", false).value_or(std::filesystem::path(path).stem().string());
  s.start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  if (auto start = r.string(*top, "", "start", false)) {
    if (auto t = parse_timestamp(*start)) s.start_ms = *t;
    else r.error("/start", "'" + *start + "' is not an ISO 8601 UTC time such as 2026-01-01T00:00:00Z");
  }

  // authentications and activations, in the plugin's configuration shape
  json::object auths;
  if (auto it = top->find("authentications"); it != top->end()) {
    if (const auto* o = r.object(it->value(), "/authentications")) auths = *o;
  }
  if (auto it = top->find("activations"); it != top->end()) {
    if (const auto* o = r.object(it->value(), "/activations")) {
      for (const auto& [name, spec] : *o) {
        std::string at = "/activations/" + webhook_mock::escape_json_pointer(name);
        const auto* a = r.object(spec, at);
        if (!a) continue;
        r.only_keys(*a, at, {"authentication", "name", "id", "method", "url", "headers", "body", "body_format",
                             "advanced", "delivery"});
        auto auth_name = r.string(*a, at, "authentication", true);
        ActivationSpec activation;
        activation.name = std::string(name);
        json::object config;
        if (auth_name) {
          auto found = auths.find(*auth_name);
          if (found == auths.end() || !found->value().is_object()) {
            r.error(at + "/authentication", "names '" + *auth_name + "', which is not in /authentications");
          } else {
            config["auth"] = found->value();
          }
        }
        json::object act;
        act["name"] = a->contains("name") ? a->at("name") : json::value(name);
        for (const char* key : {"id", "method", "url", "headers", "body", "body_format"}) {
          if (auto f = a->find(key); f != a->end()) act[key] = f->value();
        }
        config["activation"] = std::move(act);
        const json::object* delivery = nullptr;
        if (auto f = a->find("advanced"); f != a->end()) config["advanced"] = f->value();
        if (auto f = a->find("delivery"); f != a->end()) {
          config["delivery"] = f->value();
          delivery = f->value().if_object();
        }
        if (config.contains("auth") && config["auth"].is_object()) {
          collect_secrets(config["auth"].get_object(), delivery, s.secrets);
        }
        activation.config = std::move(config);
        s.activations.push_back(std::move(activation));
      }
    }
  }
  std::sort(s.secrets.begin(), s.secrets.end());
  s.secrets.erase(std::unique(s.secrets.begin(), s.secrets.end()), s.secrets.end());
  auto has_activation = [&](const std::string& name) {
    return std::any_of(s.activations.begin(), s.activations.end(), [&](const ActivationSpec& a) { return a.name == name; });
  };

  // the journey
  if (auto it = top->find("journey"); it != top->end()) {
    if (const auto* j = r.object(it->value(), "/journey")) {
      r.only_keys(*j, "/journey", {"name", "reentry", "exit", "frequency_cap", "stages"});
      s.journey.name = r.string(*j, "/journey", "name", true).value_or("");
      if (auto reentry = r.string(*j, "/journey", "reentry", false)) {
        if (*reentry == "none") s.journey.reentry = Journey::Reentry::none;
        else if (*reentry == "after_exit") s.journey.reentry = Journey::Reentry::after_exit;
        else r.error("/journey/reentry", "is '" + *reentry + "'; allowed: none, after_exit");
      }
      if (auto e = j->find("exit"); e != j->end()) s.journey.exit = parse_criteria(r, e->value(), "/journey/exit");
      if (auto cap = j->find("frequency_cap"); cap != j->end()) {
        if (const auto* c = r.object(cap->value(), "/journey/frequency_cap")) {
          r.only_keys(*c, "/journey/frequency_cap", {"count", "window"});
          if (auto n = c->find("count"); n != c->end()) {
            s.journey.cap_count = static_cast<std::uint32_t>(r.count_value(n->value(), "/journey/frequency_cap/count").value_or(0));
          } else {
            r.error("/journey/frequency_cap/count", "is required (activations per profile per window)");
          }
          s.journey.cap_window_ms = r.duration(*c, "/journey/frequency_cap", "window", true).value_or(0);
        }
      }
      if (auto st = j->find("stages"); st != j->end()) {
        if (const auto* list = r.array(st->value(), "/journey/stages")) {
          if (list->empty()) r.error("/journey/stages", "needs at least one stage");
          for (std::size_t i = 0; i < list->size(); ++i) {
            std::string at = "/journey/stages/" + std::to_string(i);
            const auto* so = r.object((*list)[i], at);
            if (!so) continue;
            r.only_keys(*so, at, {"name", "entry", "exit", "steps"});
            Stage stage;
            stage.name = r.string(*so, at, "name", true).value_or("");
            if (auto e = so->find("entry"); e != so->end()) {
              if (auto c = parse_criteria(r, e->value(), at + "/entry")) stage.entry = *c;
            } else if (i == 0) {
              r.error(at + "/entry", "is required for the first stage: it says which event enters the journey");
            }
            if (auto e = so->find("exit"); e != so->end()) stage.exit = parse_criteria(r, e->value(), at + "/exit");
            if (auto steps = so->find("steps"); steps != so->end()) {
              if (const auto* sl = r.array(steps->value(), at + "/steps")) {
                for (std::size_t k = 0; k < sl->size(); ++k) {
                  std::string step_at = at + "/steps/" + std::to_string(k);
                  const auto* step = r.object((*sl)[k], step_at);
                  if (!step) continue;
                  r.only_keys(*step, step_at, {"activate", "wait"});
                  Step parsed;
                  if (auto act = r.string(*step, step_at, "activate", false)) {
                    parsed.kind = Step::Kind::activate;
                    parsed.activation = *act;
                    if (!has_activation(*act)) r.error(step_at + "/activate", "names '" + *act + "', which is not in /activations");
                  } else if (auto wait = r.duration(*step, step_at, "wait", false)) {
                    parsed.kind = Step::Kind::wait;
                    parsed.wait_ms = *wait;
                  } else if (!step->contains("wait")) {
                    r.error(step_at, "a step is {\"activate\": NAME} or {\"wait\": DURATION}");
                  }
                  stage.steps.push_back(std::move(parsed));
                }
              }
            }
            s.journey.stages.push_back(std::move(stage));
          }
        }
      }
    }
  } else {
    r.error("/journey", "is required");
  }

  if (auto it = top->find("realtime_attributes"); it != top->end()) {
    if (const auto* list = r.array(it->value(), "/realtime_attributes")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string at = "/realtime_attributes/" + std::to_string(i);
        const auto* o = r.object((*list)[i], at);
        if (!o) continue;
        r.only_keys(*o, at, {"name", "type", "event", "field", "window"});
        RealtimeAttribute a;
        a.name = r.string(*o, at, "name", true).value_or("");
        a.event = r.string(*o, at, "event", true).value_or("");
        auto type = r.string(*o, at, "type", true);
        if (type == "last") {
          a.kind = RealtimeAttribute::Kind::last;
          a.field = r.string(*o, at, "field", true).value_or("");
        } else if (type == "count") {
          a.kind = RealtimeAttribute::Kind::count;
          a.window_ms = r.duration(*o, at, "window", true).value_or(0);
        } else if (type) {
          r.error(at + "/type", "is '" + *type + "'; allowed: last, count");
        }
        s.realtime.push_back(std::move(a));
      }
    }
  }

  auto add_profile = [&](const json::object& o, const std::string& at) {
    Profile p;
    auto id = r.string(o, at, "id", true);
    if (auto attrs = o.find("attributes"); attrs != o.end()) {
      if (const auto* a = r.object(attrs->value(), at + "/attributes")) p.attributes = *a;
    }
    if (!id) return;
    p.id = *id;
    s.profiles.push_back(std::move(p));
  };
  if (auto it = top->find("profiles"); it != top->end()) {
    if (const auto* list = it->value().if_array()) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string at = "/profiles/" + std::to_string(i);
        if (const auto* o = r.object((*list)[i], at)) {
          r.only_keys(*o, at, {"id", "attributes"});
          add_profile(*o, at);
        }
      }
    } else if (const auto* o = it->value().if_object(); o && o->contains("file") && o->at("file").is_string()) {
      for (auto& [line, object] : read_ndjson(r, path, std::string(o->at("file").get_string()), "/profiles/file")) {
        add_profile(object, "/profiles/file:" + std::to_string(line));
      }
    } else {
      r.error("/profiles", "must be an array of {\"id\", \"attributes\"} or {\"file\": \"profiles.ndjson\"}");
    }
  }

  if (auto it = top->find("events"); it != top->end()) {
    if (const auto* list = it->value().if_array()) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string at = "/events/" + std::to_string(i);
        if (const auto* o = r.object((*list)[i], at)) parse_event(r, *o, at, s.start_ms, s.events);
      }
    } else if (const auto* o = it->value().if_object(); o && o->contains("file") && o->at("file").is_string()) {
      for (auto& [line, object] : read_ndjson(r, path, std::string(o->at("file").get_string()), "/events/file")) {
        parse_event(r, object, "/events/file:" + std::to_string(line), s.start_ms, s.events);
      }
    } else if (const auto* g = o ? o->if_contains("generate") : nullptr; g && g->is_object()) {
      const auto& go = g->get_object();
      const std::string at = "/events/generate";
      r.only_keys(go, at, {"profiles", "events", "span", "seed", "mix", "first_event"});
      GenerateSpec spec;
      spec.seed = seed;
      if (auto f = go.find("profiles"); f != go.end()) spec.profiles = r.count_value(f->value(), at + "/profiles").value_or(0);
      if (auto f = go.find("events"); f != go.end()) spec.events = r.count_value(f->value(), at + "/events").value_or(0);
      if (auto f = go.find("seed"); f != go.end()) spec.seed = r.count_value(f->value(), at + "/seed").value_or(1);
      if (auto span = r.duration(go, at, "span", false)) spec.span_ms = *span;
      spec.first_event = r.string(go, at, "first_event", false).value_or(spec.first_event);
      if (auto f = go.find("mix"); f != go.end()) {
        if (const auto* mix = r.object(f->value(), at + "/mix")) {
          spec.mix.clear();
          for (const auto& m : *mix) {
            if (!m.value().is_number() || m.value().to_number<double>() < 0) {
              r.error(at + "/mix/" + webhook_mock::escape_json_pointer(m.key()), "must be a weight, a number 0 or more");
              continue;
            }
            spec.mix.emplace_back(std::string(m.key()), m.value().to_number<double>());
          }
        }
      }
      if (spec.profiles == 0) r.error(at + "/profiles", "must be at least 1");
      if (spec.profiles > kMaxGenerated) r.error(at + "/profiles", "at most " + std::to_string(kMaxGenerated));
      if (spec.events > kMaxGenerated) r.error(at + "/events", "at most " + std::to_string(kMaxGenerated));
      if (r.count() == first_error) generate(spec, s.start_ms, s.profiles, s.events);
    } else {
      r.error("/events", "must be an array of events, {\"file\": \"events.ndjson\"} or {\"generate\": {...}}");
    }
  }
  std::stable_sort(s.events.begin(), s.events.end(), [](const Event& a, const Event& b) { return a.at_ms < b.at_ms; });
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    if (s.events[i].id.empty()) s.events[i].id = s.name + "-" + std::to_string(i + 1);
  }

  if (auto it = top->find("endpoint"); it != top->end()) {
    if (const auto* o = r.object(it->value(), "/endpoint")) {
      r.only_keys(*o, "/endpoint", {"mappings"});
      if (auto m = o->find("mappings"); m != o->end()) {
        if (const auto* list = r.array(m->value(), "/endpoint/mappings")) s.mappings = *list;
      }
    }
  }

  if (auto it = top->find("expect"); it != top->end()) {
    if (const auto* e = r.object(it->value(), "/expect")) {
      r.only_keys(*e, "/expect", {"requests", "outcomes", "order", "validation_errors"});
      if (auto req = e->find("requests"); req != e->end()) {
        if (const auto* list = r.array(req->value(), "/expect/requests")) {
          for (std::size_t i = 0; i < list->size(); ++i) {
            if (auto x = parse_request_expectation(r, (*list)[i], i)) s.requests.push_back(std::move(*x));
          }
        }
      }
      if (auto out = e->find("outcomes"); out != e->end()) {
        if (const auto* o = r.object(out->value(), "/expect/outcomes")) {
          r.only_keys(*o, "/expect/outcomes", {"delivered", "dead_lettered", "failed"});
          if (auto f = o->find("delivered"); f != o->end()) s.expect_delivered = r.count_value(f->value(), "/expect/outcomes/delivered");
          if (auto f = o->find("dead_lettered"); f != o->end()) s.expect_dead_lettered = r.count_value(f->value(), "/expect/outcomes/dead_lettered");
          if (auto f = o->find("failed"); f != o->end()) s.expect_failed = r.count_value(f->value(), "/expect/outcomes/failed");
        }
      }
      if (auto order = e->find("order"); order != e->end()) {
        if (const auto* list = r.array(order->value(), "/expect/order")) {
          for (std::size_t i = 0; i < list->size(); ++i) {
            std::string at = "/expect/order/" + std::to_string(i);
            const auto* o = r.object((*list)[i], at);
            if (!o) continue;
            r.only_keys(*o, at, {"name", "request", "key", "sequence"});
            OrderExpectation x;
            x.name = r.string(*o, at, "name", false).value_or("order #" + std::to_string(i + 1));
            if (auto p = o->find("request"); p != o->end()) x.pattern = p->value();
            x.key = r.string(*o, at, "key", true).value_or("");
            x.sequence = r.string(*o, at, "sequence", true).value_or("");
            s.order.push_back(std::move(x));
          }
        }
      }
      if (auto v = e->find("validation_errors"); v != e->end()) {
        if (const auto* list = r.array(v->value(), "/expect/validation_errors")) {
          for (std::size_t i = 0; i < list->size(); ++i) {
            std::string at = "/expect/validation_errors/" + std::to_string(i);
            const auto* o = r.object((*list)[i], at);
            if (!o) continue;
            r.only_keys(*o, at, {"activation", "field", "message_contains"});
            ValidationExpectation x;
            x.activation = r.string(*o, at, "activation", true).value_or("");
            x.field = r.string(*o, at, "field", true).value_or("");
            x.message_contains = r.string(*o, at, "message_contains", false).value_or("");
            if (!x.activation.empty() && !has_activation(x.activation)) {
              r.error(at + "/activation", "names '" + x.activation + "', which is not in /activations");
            }
            s.validation_errors.push_back(std::move(x));
          }
        }
      }
    }
  }
  if (errors.size() != first_error) return std::nullopt;
  return s;
}

}  // namespace journey_sim
