#include <webhook/rendering/config.hpp>

#include <webhook/rendering/redact.hpp>
#include <webhook/rendering/signer.hpp>

#include <webhook_common/utf8.hpp>

#include "config_checker.hpp"
#include "config_retry.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>

namespace webhook {
namespace {

namespace json = boost::json;

using config_detail::Checker;


bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Headers the step writes itself, or that belong to the connection.
constexpr std::string_view kOwnedHeaders[] = {
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
    "te", "trailer", "proxy-connection", "webhook-id", "webhook-timestamp", "webhook-signature"};

// The most a secret file may hold (a key, a whsec_ secret: far less).
constexpr std::size_t kMaxSecretFileBytes = std::size_t{64} * 1024;

std::string secret_from(Checker& check, const json::object& section, const std::string& where,
                        std::string_view base) {
  std::string key_direct(base), key_env = std::string(base) + "_env", key_file = std::string(base) + "_file";
  int given = static_cast<int>(section.contains(key_direct)) + static_cast<int>(section.contains(key_env)) +
              static_cast<int>(section.contains(key_file));
  if (given > 1) {
    check.error(check.join(where, key_direct), "give only one of " + key_direct + ", " + key_env + ", " + key_file);
    return {};
  }
  if (auto v = check.string(section, where, key_direct)) return *v;
  if (auto v = check.string(section, where, key_env)) {
    const char* value = std::getenv(v->c_str());
    if (value == nullptr || *value == '\0') {
      check.error(check.join(where, key_env), "names environment variable '" + *v + "', which is not set or empty");
      return {};
    }
    return value;
  }
  if (auto v = check.string(section, where, key_file)) {
    // A regular file, read up to a bound: a device or FIFO named by mistake
    // (/dev/zero, /dev/stdin) would be read forever or block.
    std::error_code ec;
    const auto status = std::filesystem::status(*v, ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
      check.error(check.join(where, key_file), "'" + *v + "' is not a regular file");
      return {};
    }
    std::ifstream in(*v, std::ios::binary);
    if (!in) {
      check.error(check.join(where, key_file), "cannot read file '" + *v + "'");
      return {};
    }
    std::string secret(kMaxSecretFileBytes + 2, '\0');  // the most, with a CRLF after it
    in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
    secret.resize(static_cast<std::size_t>(in.gcount()));
    const bool more = in && in.peek() != std::ifstream::traits_type::eof();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (more || secret.size() > kMaxSecretFileBytes) {
      check.error(check.join(where, key_file), "file '" + *v + "' is larger than " +
                                                      std::to_string(kMaxSecretFileBytes / 1024) +
                                                      " KiB: it must hold the secret alone");
      return {};
    }
    if (secret.empty()) check.error(check.join(where, key_file), "file '" + *v + "' is empty");
    return secret;
  }
  return {};
}

// The original's activation form: exportJson {method, url, headers, body}
// (an object, or the same as a JSON string).
const json::object* export_json(Checker& check, const json::object& parent, const std::string& where,
                                std::string_view key, json::value& holder) {
  auto it = parent.find(key);
  if (it == parent.end()) return nullptr;
  if (it->value().is_object()) return &it->value().get_object();
  if (it->value().is_string()) {
    boost::system::error_code ec;
    holder = json::parse(it->value().get_string(), ec);
    if (!ec && holder.is_object()) return &holder.get_object();
  }
  check.error(check.join(where, key), "must be an object (or a string holding one)");
  return nullptr;
}

void parse_headers(Checker& check, const json::value& headers, const std::string& where, Config& config) {
  struct Raw {
    std::string field;
    std::string name;
    std::string value;
  };
  std::vector<Raw> raw;
  if (const auto* object = headers.if_object()) {
    for (const auto& member : *object) {
      std::string field = where + "." + std::string(member.key());
      if (!member.value().is_string()) {
        check.error(field, "must be a string");
        continue;
      }
      raw.push_back({field, std::string(member.key()), std::string(member.value().get_string())});
    }
  } else if (const auto* array = headers.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      std::string field = where + "[" + std::to_string(i) + "]";
      const auto* entry = (*array)[i].if_object();
      if (entry == nullptr) {
        check.error(field, "must be an object {\"name\": ..., \"value\": ...}");
        continue;
      }
      check.only_keys(*entry, field, {"name", "value"});
      auto name = check.string(*entry, field, "name", true);
      auto value = check.string(*entry, field, "value", true);
      if (name && value) raw.push_back({field, *name, *value});
    }
  } else {
    check.error(where, "must be an object of name: value, or an array of {\"name\", \"value\"}");
    return;
  }
  if (raw.size() > kMaxCustomHeaders) {
    check.error(where, std::to_string(raw.size()) + " custom headers; at most " +
                           std::to_string(kMaxCustomHeaders) + " are allowed");
  }
  std::vector<std::string> seen;
  for (auto& header : raw) {
    std::string name_field = header.field + (headers.is_array() ? ".name" : "");
    if (header.name.empty() || !std::all_of(header.name.begin(), header.name.end(), is_token_char)) {
      check.error(name_field, "header name '" + header.name +
                                  "' is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~ only)");
      continue;
    }
    std::string lowered = lower(header.name);
    if (std::find(std::begin(kOwnedHeaders), std::end(kOwnedHeaders), lowered) != std::end(kOwnedHeaders)) {
      check.error(name_field, "header '" + header.name + "' is set by the step itself and cannot be customised");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), lowered) != seen.end()) {
      check.error(name_field, "duplicate header '" + header.name + "' (names compare case-insensitively)");
      continue;
    }
    seen.push_back(lowered);
    std::string value_field = header.field + (headers.is_array() ? ".value" : "");
    bool control = std::any_of(header.value.begin(), header.value.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return (u < 0x20 && u != '\t') || u == 0x7f;
    });
    if (control) {
      check.error(value_field, "contains a control character (CR, LF or other); not allowed in a header value");
      continue;
    }
    HeaderTemplate h;
    h.name = header.name;
    std::vector<std::string> errors;
    if (!h.value.compile(header.value, Context::header, errors)) {
      for (auto& e : errors) check.error(value_field, e);
      continue;
    }
    if (lowered == "content-type") config.content_type.clear();
    config.headers.push_back(std::move(h));
  }
}

void parse_url(Checker& check, const std::string& text, const std::string& field, Config& config,
               bool prefix_ok) {
  std::vector<std::string> errors;
  if (!config.url.compile(text, Context::url, errors)) {
    for (auto& e : errors) check.error(field, e);
    return;
  }
  // Scheme, host and port must be literal: a variable there could send the
  // request (and the API key) anywhere.
  std::size_t authority_end = text.find("://");
  authority_end = authority_end == std::string::npos ? 0 : authority_end + 3;
  authority_end = text.find_first_of("/?#", authority_end);
  if (text.substr(0, authority_end).find("{{") != std::string::npos) {
    check.error(field, "a template variable in the scheme, host or port is not allowed; only the path and query may vary");
    return;
  }
  std::string error;
  auto url = normalize_url(config.url.probe("x"), error);
  if (!url) {
    check.error(field, "'" + config.url.source() + "' " + error);
    return;
  }
  config.endpoint = *url;
  config.url_origin_length = authority_end == std::string::npos ? text.size() : authority_end;
  if (prefix_ok && !is_under_prefix(*url, config.url_prefix)) {
    check.error(field, "'" + config.url.source() + "' is not under the authentication's URL prefix '" +
                           config.url_prefix_text + "' (same scheme, host and port; path below the prefix's)");
  }
}

// "line L, column C" (from 1; columns in bytes) of byte `offset` of `text`.
std::string position_of(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// The configuration's JSON (comments and trailing commas allowed), or an
// error naming where it goes wrong.
bool parse_json(std::string_view text, json::value& root, Checker& check) {
  if (const std::size_t bad = webhook_common::first_invalid_utf8(text); bad != text.size()) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    check.error("", "configuration is not valid UTF-8: byte " + std::string(byte) + " at " + position_of(text, bad));
    return false;
  }
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    check.error("", "configuration is not valid JSON: " + ec.message() + " at " + position_of(text, consumed));
    return false;
  }
  root = parser.release();
  return true;
}

void parse_auth(Checker& check, const json::object& top, Config& config, bool& prefix_ok) {
  const auto* auth = check.object(top, "", "auth", true);
  if (auth == nullptr) return;
  check.only_keys(*auth, "auth", {"type", "name", "url_prefix", "api_key", "api_key_env", "api_key_file"});
  if (auto type = check.string(*auth, "auth", "type"); type && *type != "td_webhook_out") {
    check.error("auth.type", "is '" + *type + "'; allowed: td_webhook_out");
  }
  config.auth_name = check.string(*auth, "auth", "name").value_or("");
  if (auto prefix = check.string(*auth, "auth", "url_prefix", true)) {
    std::string error;
    if (prefix->find("{{") != std::string::npos) {
      check.error("auth.url_prefix", "must not contain template variables");
    } else if (auto url = normalize_url(*prefix, error); url && (url->has_query || url->has_fragment)) {
      check.error("auth.url_prefix", std::string("has a ") + (url->has_query ? "query ('?...')" : "fragment ('#...')") +
                                         "; a prefix is matched on scheme, host, port and path only: remove it");
    } else if (url) {
      config.url_prefix = *url;
      config.url_prefix_text = *prefix;
      prefix_ok = true;
    } else {
      check.error("auth.url_prefix", "'" + *prefix + "' " + error);
    }
  }
  config.api_key = secret_from(check, *auth, "auth", "api_key");
}

void parse_body_format(Checker& check, const json::object* activation, Config& config) {
  const std::string format =
      activation ? check.string(*activation, "activation", "body_format").value_or("json") : "json";
  if (format == "json") {
    config.body_format = BodyFormat::json;
    config.content_type = "application/json";
  } else if (format == "form") {
    config.body_format = BodyFormat::form;
    config.content_type = "application/x-www-form-urlencoded";
  } else if (format == "text") {
    config.body_format = BodyFormat::text;
    config.content_type = "text/plain; charset=utf-8";
  } else {
    check.error("activation.body_format", "is '" + format + "'; allowed: json, form, text");
  }
}

// The request's shape: method, URL, headers, body (ours, or exportJson's).
void parse_request_shape(Checker& check, const json::object& shape, const std::string& where,
                         const json::object* activation, Config& config, bool prefix_ok) {
  std::string method = check.string(shape, where, "method").value_or("POST");
  for (char& c : method) if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" && method != "DELETE") {
    check.error(where + ".method", "is '" + method + "'; allowed: GET, POST, PUT, PATCH, DELETE (any case)");
  }
  config.method = method;
  parse_body_format(check, activation, config);
  if (auto url = check.string(shape, where, "url", true)) parse_url(check, *url, where + ".url", config, prefix_ok);
  if (auto it = shape.find("headers"); it != shape.end()) parse_headers(check, it->value(), where + ".headers", config);
  auto body = check.string(shape, where, "body");
  if (!body) return;
  if (body->size() > kMaxTemplateBytes) {
    check.error(where + ".body", "template is " + std::to_string(body->size()) + " bytes; at most " +
                                     std::to_string(kMaxTemplateBytes) + " allowed");
    return;
  }
  std::vector<std::string> body_errors;
  if (!config.body.compile_body(*body, config.body_format, body_errors)) {
    for (auto& e : body_errors) check.error(where + ".body", e);
  }
}

// activation: our shape, or the original's exportJson inside it or at the top.
const json::object* parse_activation(Checker& check, const json::object& top, Config& config, bool prefix_ok) {
  json::value holder;
  const json::object* activation = check.object(top, "", "activation");
  std::string where = "activation";
  const json::object* exported = nullptr;
  if (activation) {
    check.only_keys(*activation, "activation", {"name", "id", "method", "url", "headers", "body", "body_format",
                                                "exportJson", "exportAdvancedJson"});
    exported = export_json(check, *activation, "activation", "exportJson", holder);
    if (exported) where = "activation.exportJson";
  } else {
    exported = export_json(check, top, "", "exportJson", holder);
    if (exported) where = "exportJson";
    else check.error("activation", "is required (an object)");
  }
  const json::object* shape = exported ? exported : activation;
  if (shape == nullptr) return activation;
  if (exported) check.only_keys(*exported, where, {"method", "url", "headers", "body"});
  if (activation) {
    config.activation_name = check.string(*activation, "activation", "name").value_or("");
    config.activation_id = check.string(*activation, "activation", "id").value_or("");
  }
  parse_request_shape(check, *shape, where, activation, config, prefix_ok);
  return activation;
}

// advanced: the original's names; also accepted as exportAdvancedJson.
// `retry_count_at`: where webhook_retry_count was given, if it was
// (delivery.retry.schedule refuses it).
void parse_advanced(Checker& check, const json::object& advanced, const std::string& at, Config& config,
                    std::string& retry_count_at) {
  check.only_keys(advanced, at, {"webhook_retry_count", "webhook_connection_timeout", "webhook_read_timeout",
                                 "webhook_write_timeout"});
  check.integer(advanced, at, "webhook_retry_count", config.retry_count, 0, 20);
  if (advanced.contains("webhook_retry_count")) retry_count_at = at + ".webhook_retry_count";
  check.duration(advanced, at, "webhook_connection_timeout", config.connect_timeout, 1, 300);
  check.duration(advanced, at, "webhook_read_timeout", config.read_timeout, 1, 300);
  check.duration(advanced, at, "webhook_write_timeout", config.write_timeout, 1, 300);
}

// Returns where webhook_retry_count was given ("" when it was not).
std::string parse_advanced_sections(Checker& check, const json::object& top, const json::object* activation,
                                    Config& config) {
  std::string retry_count_at;
  if (const auto* advanced = check.object(top, "", "advanced")) {
    parse_advanced(check, *advanced, "advanced", config, retry_count_at);
  }
  json::value holder;
  if (const auto* a = export_json(check, top, "", "exportAdvancedJson", holder)) {
    parse_advanced(check, *a, "exportAdvancedJson", config, retry_count_at);
  }
  if (activation) {
    json::value inner_holder;
    if (const auto* a = export_json(check, *activation, "activation", "exportAdvancedJson", inner_holder)) {
      parse_advanced(check, *a, "activation.exportAdvancedJson", config, retry_count_at);
    }
  }
  return retry_count_at;
}

void parse_circuit_breaker(Checker& check, const json::object& delivery, Config& config) {
  const std::string at = "delivery.circuit_breaker";
  const auto* breaker = check.object(delivery, "delivery", "circuit_breaker");
  if (breaker == nullptr) return;
  check.only_keys(*breaker, at, {"consecutive_failures", "cooldown_ms", "max_cooldown_ms"});
  CircuitBreakerSettings settings;
  check.integer(*breaker, at, "consecutive_failures", settings.consecutive_failures, 1, 1000);
  check.duration(*breaker, at, "cooldown_ms", settings.cooldown, 1, 86'400'000);
  check.duration(*breaker, at, "max_cooldown_ms", settings.max_cooldown, 1, 86'400'000);
  if (settings.max_cooldown < settings.cooldown) {
    check.error(at + ".max_cooldown_ms", "must be at least cooldown_ms (" + std::to_string(settings.cooldown.count()) + ")");
  }
  config.circuit_breaker = settings;
}

void parse_tls(Checker& check, const json::object& delivery, Config& config) {
  const auto* tls = check.object(delivery, "delivery", "tls");
  if (tls == nullptr) return;
  check.only_keys(*tls, "delivery.tls", {"ca_file", "verify"});
  config.tls.ca_file = check.string(*tls, "delivery.tls", "ca_file").value_or("");
  check.boolean(*tls, "delivery.tls", "verify", config.tls.verify);
  if (!config.tls.ca_file.empty() && !std::ifstream(config.tls.ca_file)) {
    check.error("delivery.tls.ca_file", "cannot read file '" + config.tls.ca_file + "'");
  }
}

void parse_ordering_key(Checker& check, const json::object& delivery, Config& config) {
  auto key = check.string(delivery, "delivery", "ordering_key");
  if (!key) return;
  std::vector<std::string> key_errors;
  Template t;
  if (!t.compile(*key, Context::text, key_errors)) {
    for (auto& e : key_errors) check.error("delivery.ordering_key", e);
  } else if (!t.has_placeholders()) {
    check.error("delivery.ordering_key", "has no variable; give one such as \"{{profile.id}}\"");
  } else {
    config.ordering_key = std::move(t);
  }
}

void parse_rate_limit(Checker& check, const json::object& delivery, Config& config) {
  auto it = delivery.find("rate_limit_per_second");
  if (it == delivery.end()) return;
  const auto& v = it->value();
  const double rate = v.is_double()   ? v.get_double()
                      : v.is_int64()  ? static_cast<double>(v.get_int64())
                      : v.is_uint64() ? static_cast<double>(v.get_uint64())
                                      : -1;
  if (!(rate > 0 && rate <= 1e7)) {
    check.error("delivery.rate_limit_per_second", "must be a number above 0 and at most 10000000");
  } else {
    config.rate_limit_per_second = rate;
  }
}

void parse_spool(Checker& check, const json::object& delivery, Config& config) {
  const auto* spool = check.object(delivery, "delivery", "spool");
  if (spool == nullptr) return;
  const std::string s = "delivery.spool";
  check.only_keys(*spool, s, {"dir", "fsync", "max_bytes"});
  SpoolSettings settings;
  settings.dir = check.string(*spool, s, "dir", true).value_or("");
  if (auto fsync = check.string(*spool, s, "fsync")) {
    if (*fsync == "always") settings.fsync = FsyncPolicy::always;
    else if (*fsync == "batch") settings.fsync = FsyncPolicy::batch;
    else if (*fsync == "off") settings.fsync = FsyncPolicy::off;
    else check.error("delivery.spool.fsync", "is '" + *fsync + "'; allowed: always, batch, off");
  }
  check.integer(*spool, s, "max_bytes", settings.max_bytes, 1 << 20, std::int64_t{1} << 50);
  settings.segment_bytes =
      std::min<std::uint64_t>(settings.segment_bytes, std::max<std::uint64_t>(settings.max_bytes / 8, 1 << 16));
  config.spool = std::move(settings);
}

// The signing secret, decoded here once (validation and the engine use the
// same bytes).
void parse_signing(Checker& check, const json::object& delivery, Config& config) {
  const bool given = delivery.contains("signing_secret") || delivery.contains("signing_secret_env") ||
                     delivery.contains("signing_secret_file");
  const std::size_t before = check.count();
  config.signing_secret = secret_from(check, delivery, "delivery", "signing_secret");
  if (!given || check.count() != before) return;
  std::string error;
  if (auto key = decode_signing_secret(config.signing_secret, error)) config.signing_key = std::move(*key);
  else check.error("delivery.signing_secret", error);
}

// delivery: our own settings.
void parse_delivery(Checker& check, const json::object& top, const std::string& retry_count_at, Config& config) {
  const auto* delivery = check.object(top, "", "delivery");
  if (delivery == nullptr) return;
  const std::string d = "delivery";
  check.only_keys(*delivery, d, {"concurrency", "max_in_flight", "retry", "dead_letter_file", "delivery_log_file",
                                 "tls", "ordering_key", "rate_limit_per_second", "max_body_bytes",
                                 "signing_secret", "signing_secret_env", "signing_secret_file", "user_agent",
                                 "spool", "busy_poll_us", "max_record_bytes", "origin_concurrency", "disable_on_410",
                                 "circuit_breaker"});
  check.integer(*delivery, d, "concurrency", config.concurrency, 1, kMaxConcurrency);
  check.integer(*delivery, d, "origin_concurrency", config.origin_concurrency, 1, kMaxConcurrency);
  check.integer(*delivery, d, "max_in_flight", config.max_in_flight, 1, 10'000'000);
  check.integer(*delivery, d, "max_body_bytes", config.max_body_bytes, 1, kMaxBodyBytes);
  check.integer(*delivery, d, "max_record_bytes", config.max_record_bytes, 1024, kMaxRecordBytes);
  check.duration(*delivery, d, "busy_poll_us", config.busy_poll, 0, 10'000);
  parse_retry(check, *delivery, retry_count_at, config);
  check.boolean(*delivery, d, "disable_on_410", config.disable_on_410);
  parse_circuit_breaker(check, *delivery, config);
  config.dead_letter_file = check.string(*delivery, d, "dead_letter_file").value_or("");
  config.delivery_log_file = check.string(*delivery, d, "delivery_log_file").value_or("");
  config.user_agent = check.string(*delivery, d, "user_agent").value_or(config.user_agent);
  if (std::any_of(config.user_agent.begin(), config.user_agent.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    check.error("delivery.user_agent", "contains a control character");
  }
  parse_tls(check, *delivery, config);
  parse_ordering_key(check, *delivery, config);
  parse_rate_limit(check, *delivery, config);
  parse_spool(check, *delivery, config);
  parse_signing(check, *delivery, config);
}

// A secret pasted into a URL, a header or any other field must not come
// back in an error, in any form a template or this parser makes of it
// (activation.method is upper-cased). A field's name is redacted only for a
// form of 8 bytes or more: field names are what scripts match on, and a
// shorter one ("k") would match the schema's own words ("webhook_retry_count").
void redact_errors(const Redactor& redactor, std::vector<ConfigError>& errors, std::size_t first) {
  for (std::size_t i = first; i < errors.size(); ++i) {
    redactor.apply(errors[i].field, 8);
    redactor.apply(errors[i].message);
  }
}

// What the templates read from records, each variable given its slot.
void bind_templates(Config& config) {
  config.url.bind(config.record_paths);
  for (auto& header : config.headers) header.value.bind(config.record_paths);
  config.body.bind(config.record_paths);
  if (config.ordering_key) config.ordering_key->bind(config.record_paths);
}

}  // namespace

std::optional<Config> parse_config(std::string_view text, std::vector<ConfigError>& errors) {
  const std::size_t first_error = errors.size();
  Checker check(errors);
  json::value root;
  if (!parse_json(text, root, check)) return std::nullopt;
  if (!root.is_object()) {
    check.error("", "configuration must be a JSON object with auth, activation, advanced and delivery");
    return std::nullopt;
  }
  const json::object& top = root.get_object();
  check.only_keys(top, "", {"auth", "activation", "advanced", "delivery", "exportJson", "exportAdvancedJson"});
  Config config;
  bool prefix_ok = false;
  parse_auth(check, top, config, prefix_ok);
  const json::object* activation = parse_activation(check, top, config, prefix_ok);
  const std::string retry_count_at = parse_advanced_sections(check, top, activation, config);
  parse_delivery(check, top, retry_count_at, config);
  if (config.api_key.empty()) {
    const bool used = config.url.uses_api_key() || config.body.uses_api_key() ||
                      std::any_of(config.headers.begin(), config.headers.end(),
                                  [](const HeaderTemplate& h) { return h.value.uses_api_key(); });
    if (used) check.error("auth.api_key", "is required: the activation uses {{auth.api_key}}");
  }
  config.redactor.add(config.api_key);
  config.redactor.add(config.signing_secret);
  if (check.count() != first_error) {
    redact_errors(config.redactor, errors, first_error);
    return std::nullopt;
  }
  bind_templates(config);
  return config;
}

}  // namespace webhook
