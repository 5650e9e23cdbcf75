// The settings of the engine's parts, decoded from its configuration once
// at create: the retry strategy's policy, the pool's connection key, the
// response excerpt's size.
#pragma once

#include <webhook/delivery/retry_policy.hpp>
#include <webhook/rendering/config.hpp>
#include <webhook/transport/http_connection.hpp>

#include <cstddef>

namespace webhook {

RetryPolicy retry_policy_of(const Config& config);
ConnectionSettings connection_settings(const Config& config);
// How many bytes of a response body the reader keeps.
std::size_t excerpt_bytes(const Config& config);

}  // namespace webhook
