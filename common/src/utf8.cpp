#include "webhook_common/utf8.hpp"

namespace webhook_common {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or
// 0 when it is ill-formed; `taken` is then the length of its maximal
// ill-formed part (at least 1), which a decoder replaces with one U+FFFD
// (Unicode's table 3-7 gives the second byte's range for each lead).
std::size_t utf8_sequence(std::string_view text, std::size_t& taken) {
  const auto lead = static_cast<unsigned char>(text[0]);
  taken = 1;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if (k >= text.size()) return 0;
    const auto c = static_cast<unsigned char>(text[k]);
    if (k == 1 ? (c < low || c > high) : (c & 0xC0) != 0x80) return 0;
    taken = k + 1;
  }
  return length;
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0, taken = 0; i < text.size(); i += taken) {
    // ASCII runs are most of most texts.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      taken = 1;
      continue;
    }
    if (utf8_sequence(text.substr(i), taken) == 0) return i;
  }
  return text.size();
}

bool is_utf8(std::string_view text) { return first_invalid_utf8(text) == text.size(); }

std::string utf8_repaired(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0, taken = 0; i < text.size(); i += taken) {
    if (utf8_sequence(text.substr(i), taken) == 0) out += "\xEF\xBF\xBD";
    else out.append(text.substr(i, taken));
  }
  return out;
}

void cut_utf8(std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return;
  std::size_t end = max_bytes;
  // Back over continuation bytes to the start of the character cut through.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
}

}  // namespace webhook_common
