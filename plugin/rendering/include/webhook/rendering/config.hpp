// The step's configuration: the original service's shape (auth, activation,
// advanced) plus our own delivery settings, parsed and checked in one pass
// that reports every error at once, each naming its field.
#pragma once

#include <webhook/rendering/redact.hpp>
#include <webhook/rendering/template.hpp>
#include <webhook/rendering/url_guard.hpp>
#include <webhook_common/version.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

struct ConfigError {
  std::string field;    // dotted path, e.g. "activation.headers[2].name"
  std::string message;  // what was wrong and what is allowed
};

struct HeaderTemplate {
  std::string name;
  Template value;
};

enum class FsyncPolicy { always, batch, off };

// delivery.spool, as configured (the spool itself is the delivery part's).
struct SpoolSettings {
  std::string dir;
  FsyncPolicy fsync = FsyncPolicy::batch;
  std::uint64_t max_bytes = 1ULL << 30;       // disk use bound; beyond it submit answers busy
  std::uint64_t segment_bytes = 64ULL << 20;  // a new segment past this size
};

inline constexpr std::size_t kMaxCustomHeaders = 32;
inline constexpr std::size_t kMaxBodyBytes = 250'000;
inline constexpr std::uint32_t kMaxConcurrency = 16'384;  // delivery.concurrency, delivery.origin_concurrency
inline constexpr std::size_t kMaxTemplateBytes = 250'000;
inline constexpr std::size_t kDefaultMaxRecordBytes = 1 << 20;
inline constexpr std::size_t kMaxRecordBytes = 16 << 20;
inline constexpr std::size_t kMaxRetrySchedule = 50;                     // delivery.retry.schedule's waits
inline constexpr std::chrono::milliseconds kMaxRetryWait{30LL * 86'400'000};  // one wait, and max_age: 30 days

// delivery.circuit_breaker.
struct CircuitBreakerSettings {
  std::uint32_t consecutive_failures = 5;  // in a row: the circuit opens
  std::chrono::milliseconds cooldown{30'000};       // then no attempt for this long; then one probe
  std::chrono::milliseconds max_cooldown{600'000};  // a failed probe doubles the cool-down, up to this
};

struct Config {
  // auth
  std::string auth_name;
  NormalizedUrl url_prefix;
  std::string url_prefix_text;
  std::string api_key;  // secret: never logged

  // activation
  std::string activation_name;
  std::string activation_id;
  std::string method;  // upper case: GET POST PUT PATCH DELETE
  Template url;
  std::vector<HeaderTemplate> headers;
  BodyFormat body_format = BodyFormat::json;
  Template body;
  std::string content_type;  // set unless a custom header sets it
  NormalizedUrl endpoint;    // the URL's scheme, host and port (fixed)
  std::size_t url_origin_length = 0;  // "scheme://authority" in the URL's source: literal text
  RecordPaths record_paths;           // what the templates read from a record (bound at parse)

  // advanced (the original's names and defaults, seconds)
  std::uint32_t retry_count = 3;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};

  // delivery (ours)
  std::uint32_t concurrency = 64;          // this activation's requests in progress, at most
  std::uint32_t origin_concurrency = 256;  // on a shared runtime: connections to one origin, all activations
  std::uint32_t max_in_flight = 10'000;
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{60'000};
  // delivery.retry.schedule: the waits before retries 1..n instead of the
  // backoff (retry_count is then n); empty: none.
  std::vector<std::chrono::milliseconds> retry_schedule;
  std::chrono::milliseconds retry_max_age{0};  // no attempt starts later after the first; 0: no limit
  std::vector<int> retry_on_status;            // retried besides 408, 429 and 5xx
  std::optional<CircuitBreakerSettings> circuit_breaker;  // none: no circuit breaking
  bool disable_on_410 = false;  // a 410 Gone disables the activation (its records dead-lettered)
  std::chrono::microseconds busy_poll{0};  // the I/O thread polls this long before it sleeps
  std::size_t max_body_bytes = kMaxBodyBytes;
  std::size_t max_record_bytes = kDefaultMaxRecordBytes;  // a larger record is refused at submit
  std::string dead_letter_file;
  std::string delivery_log_file;
  std::optional<Template> ordering_key;
  double rate_limit_per_second = 0;  // 0: no limit
  std::string signing_secret;        // Standard Webhooks "whsec_..." (secret)
  std::string signing_key;           // its decoded bytes (empty: no signing)
  std::string user_agent = std::string("webhook-output-step/") + webhook_common::kVersion;
  std::optional<SpoolSettings> spool;  // delivery.spool
  struct Tls {
    std::string ca_file;
    bool verify = true;
  } tls;
  // Every form of the API key and the signing secret, for texts that leave
  // the step.
  Redactor redactor;
};

// Parses and checks `text`. Returns the configuration when there is no
// error; otherwise nullopt with every error appended to `errors`.
std::optional<Config> parse_config(std::string_view text, std::vector<ConfigError>& errors);

}  // namespace webhook
