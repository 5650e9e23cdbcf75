// A directory of this test process's own under the system's temporary
// directory: made by mkdtemp (a name no other process has had, whatever
// pids the system reuses), and removed with everything in it when the
// process exits. Tests write their files into it.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace test_support {

// The directory; `prefix` names it on the first call ("webhook-it-XXXXXX").
inline const std::filesystem::path& scratch_dir(const std::string& prefix) {
  struct Dir {
    std::filesystem::path path;
    explicit Dir(const std::string& name) {
      std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot make a directory like " + pattern + ": " + std::strerror(errno));
      }
      path = pattern;
    }
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Dir dir(prefix);
  return dir.path;
}

}  // namespace test_support
