#include "engine_settings.hpp"

#include "runtime.hpp"

#include <webhook/transport/http_response.hpp>
#include <webhook_common/utf8.hpp>

#include <stdexcept>

namespace webhook {

RetryPolicy retry_policy_of(const Config& config) {
  RetryPolicy policy;
  policy.retry_count = config.retry_count;
  policy.backoff = {static_cast<std::uint32_t>(config.initial_backoff.count()),
                    static_cast<std::uint32_t>(config.max_backoff.count())};
  for (const auto wait : config.retry_schedule) policy.schedule_ms.push_back(wait.count());
  policy.max_age_ms = config.retry_max_age.count();
  policy.on_status = config.retry_on_status;
  return policy;
}

ConnectionSettings connection_settings(const Config& config) {
  ConnectionSettings s;
  s.host = config.endpoint.host;
  s.port = config.endpoint.port;
  s.tls = config.endpoint.scheme == "https";
  s.ca_file = config.tls.ca_file;
  s.verify = config.tls.verify;
  s.connect_timeout = config.connect_timeout;
  s.read_timeout = config.read_timeout;
  s.write_timeout = config.write_timeout;
  return s;
}

// A secret that straddles the excerpt's cut is still seen whole by the
// redaction, which runs before the excerpt is cut to its size.
std::size_t excerpt_bytes(const Config& config) {
  return ResponseReader::kExcerptLimit + (config.redactor.empty() ? 0 : config.redactor.longest() - 1);
}

// The first 1 KiB of a response body as it may be written: secrets out
// (the reader kept enough bytes past the cut for one that straddles it),
// valid UTF-8, then cut on a character boundary.
std::string excerpt_of(const Config& config, std::string body) {
  config.redactor.apply(body);
  if (!webhook_common::is_utf8(body)) body = webhook_common::utf8_repaired(body);
  webhook_common::cut_utf8(body, ResponseReader::kExcerptLimit);
  return body;
}

std::string origin_of(const Config& config) {
  return config.endpoint.scheme + "://" + config.endpoint.host + ":" + std::to_string(config.endpoint.port);
}

// Without a shared runtime: one of the engine's own, as before there were
// shared ones (its pool holds delivery.concurrency connections).
std::shared_ptr<Runtime> runtime_for(const Config& config, const EngineHooks& hooks) {
  if (hooks.runtime) {
    if (hooks.runtime->host_drives() != hooks.host_drives_io) {
      throw std::invalid_argument("a shared runtime's I/O is driven by its host, or not, for every step on it");
    }
    return hooks.runtime;
  }
  return std::make_shared<Runtime>(RuntimeOptions{1, hooks.host_drives_io, config.busy_poll});
}

std::unique_ptr<Spool> open_spool(const Config& config, WriteFunction write, RecoveryReport& recovery) {
  if (!config.spool) return nullptr;
  SpoolOptions options;
  static_cast<SpoolSettings&>(options) = *config.spool;
  options.write = write;
  return std::make_unique<Spool>(options, recovery);
}

}  // namespace webhook
