#include "framing.hpp"

#include <algorithm>

namespace webhook_mock {
namespace {

bool is_chunked(std::string_view coding) {
  constexpr std::string_view chunked = "chunked";
  return coding.size() == chunked.size() && std::equal(coding.begin(), coding.end(), chunked.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string framing_problem(const RequestFraming& request) {
  if (request.version >= 11 && request.host_fields == 0) return "an HTTP/1.1 request needs a Host header (RFC 9112, 3.2)";
  if (request.host_fields > 1) return "more than one Host header (RFC 9112, 3.2)";
  if (request.transfer_encodings.empty()) return {};
  if (request.version < 11) return "Transfer-Encoding in an HTTP/1.0 request (RFC 9112, 6.1)";
  if (request.content_length) return "both Transfer-Encoding and Content-Length (RFC 9112, 6.1)";
  std::vector<std::string_view> codings;
  std::string all;
  for (std::string_view line : request.transfer_encodings) {
    all += all.empty() ? "" : ", ";
    all += line;
    while (true) {
      const std::size_t comma = line.find(',');
      if (std::string_view coding = trimmed(line.substr(0, comma)); !coding.empty()) codings.push_back(coding);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  if (codings.size() == 1 && is_chunked(codings.front())) return {};
  return "Transfer-Encoding '" + all + "': only 'chunked', alone, is understood (RFC 9112, 6.1)";
}

}  // namespace webhook_mock
