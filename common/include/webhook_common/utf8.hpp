// UTF-8 checks and repairs for texts that leave a process as JSON or log
// lines whatever bytes they came from (a response body, a request header).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace webhook_common {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF).
bool is_utf8(std::string_view text);

// The offset of the first byte of `text` that does not begin a well-formed
// sequence, or text.size() when there is none.
std::size_t first_invalid_utf8(std::string_view text);

// `text` with each maximal ill-formed part replaced by U+FFFD, as a decoder
// reads it.
std::string utf8_repaired(std::string_view text);

// Cuts `text` (well-formed UTF-8) to at most `max_bytes`, on a character
// boundary.
void cut_utf8(std::string& text, std::size_t max_bytes);

}  // namespace webhook_common
