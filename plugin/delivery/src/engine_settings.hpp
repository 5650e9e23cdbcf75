// What the engine's parts are made from, decoded from its configuration
// once at create: the retry strategy's policy, the pool's connection key,
// the response excerpt's size, its runtime and its spool.
#pragma once

#include <webhook/delivery/delivery_engine.hpp>
#include <webhook/delivery/retry_policy.hpp>
#include <webhook/delivery/spool.hpp>
#include <webhook/rendering/config.hpp>
#include <webhook/transport/http_connection.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace webhook {

RetryPolicy retry_policy_of(const Config& config);
ConnectionSettings connection_settings(const Config& config);
// How many bytes of a response body the reader keeps.
std::size_t excerpt_bytes(const Config& config);
// The first 1 KiB of a response body as it may be written: secrets out,
// valid UTF-8, cut on a character boundary.
std::string excerpt_of(const Config& config, std::string body);
// "https://host:port": the endpoint's connection key, as logs say it.
std::string origin_of(const Config& config);
// The hooks' shared runtime, or (without one) a runtime of the engine's own.
std::shared_ptr<Runtime> runtime_for(const Config& config, const EngineHooks& hooks);
// The spool of delivery.spool (null without one), what it recovered in `recovery`.
std::unique_ptr<Spool> open_spool(const Config& config, WriteFunction write, RecoveryReport& recovery);

}  // namespace webhook
