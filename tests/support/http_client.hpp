// Tests use the blocking HTTP client (webhook_common) under a short name.
#pragma once

#include <webhook_common/http_client.hpp>

namespace test_support {
using namespace webhook_common::client;
}  // namespace test_support
