// A whole file read into memory: configurations, scenarios, mappings,
// certificates. Regular files, pipes and devices alike (a configuration from
// `<(...)`); a directory is refused as unreadable, not read as empty.
#pragma once

#include <optional>
#include <string>

namespace webhook_common {

// The file's bytes; nullopt with errno set (ENOENT, EACCES, EISDIR...)
// when it cannot be opened or read.
std::optional<std::string> read_file(const std::string& path);

}  // namespace webhook_common
