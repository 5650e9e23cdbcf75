// The configuration comes from whoever sets the activation up. Fuzzed for:
// no crash and no hang on any text (a secret file is a bounded read), a
// refusal always names what is wrong, and no error ever shows a secret:
// "@K@" in the input stands for an API key and "@W@" for a signing secret,
// so that the fuzzer can put them anywhere; where the configuration makes
// them its secrets, no error field or message may contain them. "@1@"
// stands for a one-letter key that the redaction mark itself contains ("E"):
// no property but that validation ends (libFuzzer's timeout).
#include <webhook/rendering/config.hpp>
#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace {

// With bytes a template's filters and escapings change: its upper-cased,
// lower-cased and percent-encoded forms differ from it.
constexpr std::string_view kKey = "Sk-live/7f3a 9c2e";
constexpr std::string_view kSigning = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// `section.key` of the configuration is `secret`.
bool holds(const json::value& root, std::string_view section, std::string_view key, std::string_view secret) {
  const auto* top = root.if_object();
  const auto* part = top ? top->if_contains(section) : nullptr;
  const auto* object = part ? part->if_object() : nullptr;
  const auto* value = object ? object->if_contains(key) : nullptr;
  return value && value->is_string() && value->get_string() == secret;
}

// The key in the forms the parser or a template makes of it.
std::vector<std::string> forms_of_key() {
  std::string upper(kKey), lower(kKey), encoded;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char c : kKey) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') encoded += c;
    else encoded += c == '/' ? "%2F" : "%20";
  }
  return {std::string(kKey), upper, lower, encoded};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  replace_all(text, "@K@", kKey);
  replace_all(text, "@W@", kSigning);
  replace_all(text, "@1@", "E");

  std::vector<webhook::ConfigError> errors;
  auto config = webhook::parse_config(text, errors);
  FUZZ_CHECK(config.has_value() == errors.empty(), "a configuration both refused and accepted");
  for (const auto& error : errors) FUZZ_CHECK(!error.message.empty(), "an error that says nothing");

  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return 0;
  const bool key_is_secret = holds(root, "auth", "api_key", kKey);
  const bool signing_is_secret = holds(root, "delivery", "signing_secret", kSigning);
  for (const auto& error : errors) {
    if (key_is_secret) {
      static const auto forms = forms_of_key();
      for (const auto& form : forms) {
        FUZZ_CHECK(error.field.find(form) == std::string::npos && error.message.find(form) == std::string::npos,
                   "an error shows the API key, in some form");
      }
    }
    if (signing_is_secret) {
      FUZZ_CHECK(error.field.find(kSigning) == std::string::npos && error.message.find(kSigning) == std::string::npos,
                 "an error shows the signing secret");
    }
  }
  return 0;
}
