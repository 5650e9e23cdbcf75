// Log lines that stay one line whatever text they carry.
#pragma once

#include <string>
#include <string_view>

namespace webhook_common {

// `text` with every control character escaped (C0, DEL and the C1 range:
// "\n", "\r", "\t", "\x1b", "\u009b") and ill-formed UTF-8 replaced by
// U+FFFD: a newline in a value cannot forge a second line, an escape
// sequence cannot drive the terminal that shows it.
std::string printable(std::string_view text);

}  // namespace webhook_common
