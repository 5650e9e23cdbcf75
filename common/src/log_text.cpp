#include "webhook_common/log_text.hpp"

#include "webhook_common/utf8.hpp"

namespace webhook_common {

std::string printable(std::string_view text) {
  const std::string repaired = is_utf8(text) ? std::string() : utf8_repaired(text);
  const std::string_view in = repaired.empty() ? text : std::string_view(repaired);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == 0xC2 && i + 1 < in.size() && static_cast<unsigned char>(in[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(in[i + 1]) <= 0x9F) {
      const auto code = static_cast<unsigned char>(in[++i]);  // U+0080..U+009F, the C1 controls
      out.append("\\u00").append(1, kHex[code >> 4]).append(1, kHex[code & 15]);
      continue;
    }
    if (c >= 0x20 && c != 0x7F) {
      out += static_cast<char>(c);
      continue;
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.append("\\x").append(1, kHex[c >> 4]).append(1, kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace webhook_common
