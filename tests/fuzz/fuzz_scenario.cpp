// Scenario files are written by the people who test their activations.
// Fuzzed for: no crash on any text, every refusal says what and where, and
// no error shows an authentication's API key ("@K@" in the input stands for
// one, so that the fuzzer can paste it anywhere).
//
// Bounded: inputs that generate more than 10,000 profiles or events, or
// that name a file (a device such as /dev/zero never ends), are skipped;
// the unit tests cover both.
#include "fuzz_check.hpp"
#include "fuzz_scratch.hpp"
#include "journey_sim/scenario.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace {

constexpr std::string_view kKey = "sk-live-7f3a9c2e";

// The file each input is written to, in a directory of the process's own
// (in memory where there is /dev/shm), removed at exit.
const std::filesystem::path& scenario_path() {
  static const ScratchDir dir("fuzz-scenario");
  static const std::filesystem::path path = dir.path / "scenario.json";
  return path;
}

const json::value* at(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* v = &root;
  for (std::string_view key : keys) {
    const auto* o = v->if_object();
    v = o ? o->if_contains(key) : nullptr;
    if (v == nullptr) return nullptr;
  }
  return v;
}

bool large(const json::value* v) { return v && (v->is_uint64() || (v->is_int64() && v->get_int64() > 10'000)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  replace_all(text, "@K@", kKey);
  if (text.find("\"file\"") != std::string::npos) return 0;

  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (!ec && (large(at(root, {"events", "generate", "events"})) || large(at(root, {"events", "generate", "profiles"})))) {
    return 0;
  }
  bool key_is_secret = false;
  if (const auto* auths = ec ? nullptr : at(root, {"authentications"}); auths && auths->is_object()) {
    for (const auto& [name, auth] : auths->get_object()) {
      const auto* key = at(auth, {"api_key"});
      key_is_secret = key_is_secret || (key && key->is_string() && key->get_string() == kKey);
    }
  }

  std::ofstream(scenario_path(), std::ios::binary | std::ios::trunc) << text;
  std::vector<journey_sim::ScenarioError> errors;
  auto scenario = journey_sim::load_scenario(scenario_path().string(), errors);
  FUZZ_CHECK(scenario.has_value() == errors.empty(), "a scenario both refused and accepted");
  for (const auto& error : errors) {
    FUZZ_CHECK(!error.message.empty(), "an error that says nothing");
    if (key_is_secret) FUZZ_CHECK(error.to_string().find(kKey) == std::string::npos, "an error shows the API key");
  }
  return 0;
}
