#include "webhook_mock/recorded_request.hpp"

#include <boost/beast/core/string.hpp>

namespace webhook_mock {

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (boost::beast::iequals(key, name)) return value;
  }
  return {};
}

}  // namespace webhook_mock
