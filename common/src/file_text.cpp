#include "webhook_common/file_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace webhook_common {

std::optional<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      content.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int read_errno = errno;
    ::close(fd);
    if (n == 0) return content;
    errno = read_errno;
    return std::nullopt;
  }
}

}  // namespace webhook_common
