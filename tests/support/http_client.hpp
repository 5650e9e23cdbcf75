// Tests use webhook-mock's HTTP client under a short name.
#pragma once

#include "webhook_mock/http_client.hpp"

namespace test_support {
using namespace webhook_mock::client;
}  // namespace test_support
