#include "webhook_mock/stubs.hpp"

#include "webhook_mock/journal_json.hpp"

#include "webhook_mock/regex.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace webhook_mock {
namespace {

namespace json = boost::json;

constexpr std::string_view kStarted = "Started";

std::optional<Fault> fault_from(std::string_view name) {
  if (name == "CONNECTION_RESET_BY_PEER") return Fault::connection_reset_by_peer;
  if (name == "EMPTY_RESPONSE") return Fault::empty_response;
  if (name == "MALFORMED_RESPONSE_CHUNK") return Fault::malformed_response_chunk;
  if (name == "RANDOM_DATA_THEN_CLOSE") return Fault::random_data_then_close;
  return std::nullopt;
}

std::string unrecognized(std::string_view key, std::string_view where) {
  return "Unrecognized field \"" + std::string(key) + "\" (" + std::string(where) + "), not marked as ignorable";
}

// `text` with CR, LF and NUL spelled out, for messages.
std::string visible(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\0') out += "\\0";
    else out += c;
  }
  return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// What is wrong with a stub's response header, or "": sent as given, a CR
// or LF would split the response (a header or a whole answer of the
// stub's making), and the server frames the body itself.
std::string response_header_problem(std::string_view name, std::string_view value) {
  const std::string shown = "header '" + visible(name) + "'";
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
    return shown + ": a header name is a token (letters, digits and !#$%&'*+-.^_`|~), without CR, LF, NUL, "
                   "spaces or ':'";
  }
  if (equal_ignoring_case(name, "Content-Length") || equal_ignoring_case(name, "Transfer-Encoding")) {
    return shown + ": the server frames the body itself (with Content-Length); a stub may not set " +
           std::string(name);
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return shown + ": its value '" + visible(value) + "' holds CR, LF or NUL, which would split the response";
  }
  return {};
}

void add_response_header(std::string name, std::string value, const std::string& at, Response& out,
                         std::vector<PatternError>& errors) {
  if (std::string problem = response_header_problem(name, value); !problem.empty()) {
    errors.push_back({at + "/" + escape_json_pointer(name), std::move(problem)});
    return;
  }
  out.headers.emplace_back(std::move(name), std::move(value));
}

void parse_response_headers(const json::value& v, const std::string& at, Response& out,
                            std::vector<PatternError>& errors) {
  const auto* headers = v.if_object();
  if (headers == nullptr) {
    errors.push_back({at, "must be an object of name: value (or [values])"});
    return;
  }
  for (const auto& h : *headers) {
    std::string name(h.key());
    if (h.value().is_string()) {
      add_response_header(name, std::string(h.value().get_string()), at, out, errors);
    } else if (const auto* values = h.value().if_array()) {
      for (const auto& value : *values) {
        if (value.is_string()) add_response_header(name, std::string(value.get_string()), at, out, errors);
        else errors.push_back({at + "/" + escape_json_pointer(name), "values must be strings"});
      }
    } else {
      errors.push_back({at + "/" + escape_json_pointer(name), "must be a string or an array of strings"});
    }
  }
}

void parse_response(const json::value& spec, Response& out, std::vector<PatternError>& errors) {
  const auto* o = spec.if_object();
  if (o == nullptr) {
    errors.push_back({"/response", "must be an object"});
    return;
  }
  for (const auto& member : *o) {
    std::string_view key = member.key();
    const json::value& v = member.value();
    std::string at = "/response/" + std::string(key);
    if (key == "status") {
      if (!v.is_int64() || v.get_int64() < 100 || v.get_int64() > 599) {
        errors.push_back({at, "must be an HTTP status code (100 to 599), got " + json::serialize(v)});
      } else {
        out.status = static_cast<int>(v.get_int64());
      }
    } else if (key == "statusMessage") {
      if (!v.is_string()) errors.push_back({at, "must be a string"});
    } else if (key == "headers") {
      parse_response_headers(v, at, out, errors);
    } else if (key == "body") {
      if (!v.is_string()) errors.push_back({at, "must be a string (use jsonBody for JSON)"});
      else out.body = std::string(v.get_string());
    } else if (key == "jsonBody") {
      out.body = json::serialize(v);
    } else if (key == "base64Body") {
      if (!v.is_string()) {
        errors.push_back({at, "must be a base64 string"});
        continue;
      }
      auto decoded = base64_decode(v.get_string());
      if (!decoded) {
        errors.push_back({at, "is not valid base64"});
        continue;
      }
      out.body = std::move(*decoded);
    } else if (key == "fixedDelayMilliseconds") {
      if (!v.is_int64() || v.get_int64() < 0 || v.get_int64() > 600'000) {
        errors.push_back({at, "must be a whole number of milliseconds from 0 to 600000"});
      } else {
        out.delay = std::chrono::milliseconds(v.get_int64());
      }
    } else if (key == "fault") {
      auto fault = v.is_string() ? fault_from(v.get_string()) : std::nullopt;
      if (!fault) {
        errors.push_back({at, "must be one of CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK, "
                              "RANDOM_DATA_THEN_CLOSE"});
      } else {
        out.fault = *fault;
      }
    } else {
      errors.push_back({at, unrecognized(key, "response definition") +
                                "; allowed: status, statusMessage, headers, body, jsonBody, base64Body, "
                                "fixedDelayMilliseconds, fault"});
    }
  }
}

}  // namespace

std::string random_uuid() {
  // Journal ids need uniqueness, not secrecy: a per-thread xoshiro256**
  // seeded once from the system's CSPRNG (RAND_bytes per request cost a
  // sixth of a journaled request's time).
  thread_local std::uint64_t state[4] = {0, 0, 0, 0};
  thread_local bool seeded = false;
  if (!seeded) {
    RAND_bytes(reinterpret_cast<unsigned char*>(state), sizeof state);
    state[0] |= 1;
    seeded = true;
  }
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  auto next = [&] {
    std::uint64_t result = rotl(state[1] * 5, 7) * 9;
    std::uint64_t t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 45);
    return result;
  };
  unsigned char b[16];
  std::uint64_t hi = next(), lo = next();
  std::memcpy(b, &hi, 8);
  std::memcpy(b + 8, &lo, 8);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::optional<StubMapping> parse_stub(const json::value& spec, std::vector<PatternError>& errors) {
  const auto* o = spec.if_object();
  if (o == nullptr) {
    errors.push_back({"", "a stub mapping must be a JSON object"});
    return std::nullopt;
  }
  std::size_t first_error = errors.size();
  StubMapping stub;
  stub.source = *o;
  std::optional<RequestPattern> request;
  for (const auto& member : *o) {
    std::string_view key = member.key();
    const json::value& v = member.value();
    std::string at(1, '/');
    at += key;  // (not "/" + std::string(key): GCC 12 -O3 warns falsely, bug 105329)
    auto string_field = [&](std::string& out) {
      if (v.is_string()) out = std::string(v.get_string());
      else errors.push_back({at, "must be a string"});
    };
    if (key == "request") {
      request = RequestPattern::parse(v, "/request", errors);
    } else if (key == "response") {
      parse_response(v, stub.response, errors);
    } else if (key == "priority") {
      if (!v.is_int64() || v.get_int64() < 1) errors.push_back({at, "must be a whole number from 1"});
      else stub.priority = static_cast<int>(v.get_int64());
    } else if (key == "id" || key == "uuid") {
      string_field(stub.id);
    } else if (key == "scenarioName") {
      string_field(stub.scenario_name);
    } else if (key == "requiredScenarioState") {
      string_field(stub.required_state);
    } else if (key == "newScenarioState") {
      string_field(stub.new_state);
    } else if (key == "name" || key == "persistent" || key == "metadata") {
      // kept in the source, no effect here
    } else {
      errors.push_back({at, unrecognized(key, "stub mapping") +
                                "; allowed: id, uuid, name, request, response, priority, scenarioName, "
                                "requiredScenarioState, newScenarioState, persistent, metadata"});
    }
  }
  if (!o->contains("request")) request = RequestPattern::any();
  if (errors.size() != first_error || !request) return std::nullopt;
  stub.request = std::move(*request);
  if (stub.id.empty()) stub.id = random_uuid();
  stub.source["id"] = stub.id;
  stub.source["uuid"] = stub.id;
  return stub;
}

std::string& StubStore::state_of(const std::string& scenario) {
  for (auto& [name, state] : states_) {
    if (name == scenario) return state;
  }
  states_.emplace_back(scenario, std::string(kStarted));
  return states_.back().second;
}

void StubStore::add(StubMapping stub) {
  std::lock_guard lock(mutex_);
  stub.order = next_order_++;
  std::erase_if(stubs_, [&](const StubMapping& s) { return s.id == stub.id; });
  if (!stub.scenario_name.empty()) state_of(stub.scenario_name);
  stubs_.push_back(std::move(stub));
}

bool StubStore::replace(const std::string& id, StubMapping stub) {
  std::lock_guard lock(mutex_);
  for (auto& s : stubs_) {
    if (s.id != id) continue;
    stub.id = id;
    stub.source["id"] = id;
    stub.source["uuid"] = id;
    stub.order = s.order;
    s = std::move(stub);
    return true;
  }
  return false;
}

bool StubStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(stubs_, [&](const StubMapping& s) { return s.id == id; }) > 0;
}

std::optional<json::object> StubStore::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& s : stubs_) {
    if (s.id == id) return s.source;
  }
  return std::nullopt;
}

json::array StubStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<const StubMapping*> sorted;
  for (const auto& s : stubs_) sorted.push_back(&s);
  // As WireMock lists them: by priority, the newest first among equals.
  std::sort(sorted.begin(), sorted.end(), [](const StubMapping* a, const StubMapping* b) {
    return a->priority != b->priority ? a->priority < b->priority : a->order > b->order;
  });
  json::array out;
  for (const StubMapping* s : sorted) out.push_back(s->source);
  return out;
}

void StubStore::clear() {
  std::lock_guard lock(mutex_);
  stubs_.clear();
  states_.clear();
}

void StubStore::reset() {
  std::lock_guard lock(mutex_);
  stubs_ = initial_;
  states_.clear();
  for (const auto& s : stubs_) {
    if (!s.scenario_name.empty()) state_of(s.scenario_name);
  }
}

void StubStore::set_initial(std::vector<StubMapping> stubs) {
  {
    std::lock_guard lock(mutex_);
    for (auto& s : stubs) s.order = next_order_++;
    initial_ = std::move(stubs);
  }
  reset();
}

StubAnswer StubStore::answer(const RecordedRequest& request, int default_status) {
  std::lock_guard lock(mutex_);
  const StubMapping* best = nullptr;
  StubAnswer answer;
  for (const auto& s : stubs_) {
    if (best && (s.priority > best->priority || (s.priority == best->priority && s.order < best->order))) continue;
    if (!s.scenario_name.empty() && !s.required_state.empty() && state_of(s.scenario_name) != s.required_state) continue;
    std::string over_budget;
    if (!s.request.matches(request, &over_budget)) {
      if (!over_budget.empty() && answer.match_error.empty()) {
        answer.match_error = std::string(regex_over_budget_message) + ": stub " + s.id + ": " + over_budget;
      }
      continue;
    }
    best = &s;
  }
  if (best == nullptr) {
    answer.response.status = default_status;
    answer.response_definition = json::object{{"status", default_status}, {"fromConfiguredStub", false}};
    return answer;
  }
  if (!best->scenario_name.empty() && !best->new_state.empty()) state_of(best->scenario_name) = best->new_state;
  answer.response = best->response;
  answer.stub_id = best->id;
  auto it = best->source.find("response");
  answer.response_definition = it != best->source.end() ? it->value() : json::value(json::object{{"status", 200}});
  return answer;
}

std::optional<json::object> StubStore::nearest(const RecordedRequest& request, std::vector<std::string>& why) const {
  std::lock_guard lock(mutex_);
  const StubMapping* best = nullptr;
  std::size_t best_misses = 0;
  for (const auto& s : stubs_) {
    std::size_t misses = s.request.mismatches(request, nullptr);
    if (best == nullptr || misses < best_misses) best = &s, best_misses = misses;
  }
  if (best == nullptr) return std::nullopt;
  best->request.mismatches(request, &why);
  return best->source;
}

json::array StubStore::scenarios() const {
  std::lock_guard lock(mutex_);
  json::array out;
  for (const auto& [name, state] : states_) {
    json::array possible{json::value(kStarted)};
    json::array mappings;
    auto add_state = [&](const std::string& s) {
      if (s.empty()) return;
      for (const auto& p : possible) {
        if (p.as_string() == s) return;
      }
      possible.emplace_back(s);
    };
    for (const auto& s : stubs_) {
      if (s.scenario_name != name) continue;
      add_state(s.required_state);
      add_state(s.new_state);
      mappings.push_back(s.source);
    }
    out.push_back(json::object{{"id", name}, {"name", name}, {"state", state}, {"possibleStates", std::move(possible)},
                               {"mappings", std::move(mappings)}});
  }
  return out;
}

void StubStore::reset_scenarios() {
  std::lock_guard lock(mutex_);
  for (auto& [name, state] : states_) state = std::string(kStarted);
}

std::size_t StubStore::size() const {
  std::lock_guard lock(mutex_);
  return stubs_.size();
}

}  // namespace webhook_mock
