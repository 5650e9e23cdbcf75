#include <webhook/delivery/ndjson_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace webhook {

WriteFunction write_function_or_default(WriteFunction f) { return f != nullptr ? f : ::write; }

bool write_all(WriteFunction write, int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

// The length of `fd`'s content up to and including its last newline.
std::uint64_t whole_lines_length(int fd, std::uint64_t size) {
  char chunk[4096];
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t start = end > sizeof chunk ? end - sizeof chunk : 0;
    const ssize_t n = ::pread(fd, chunk, static_cast<std::size_t>(end - start), static_cast<off_t>(start));
    if (n <= 0) return size;  // unreadable: leave it as it is
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (chunk[i] == '\n') return start + static_cast<std::uint64_t>(i) + 1;
    }
    end = start;
  }
  return 0;
}

}  // namespace

NdjsonFile::~NdjsonFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool NdjsonFile::open(const std::string& path, std::string& error, WriteFunction write) {
  write_ = write_function_or_default(write);
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);  // /dev/stdout
  if (fd_ < 0) {
    error = "cannot open '" + path + "' for appending: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    regular_ = true;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    size_ = size > 0 ? whole_lines_length(fd_, size) : 0;
    if (size_ < size && ::ftruncate(fd_, static_cast<off_t>(size_)) == 0) torn_bytes_ = size - size_;
    else size_ = size;
  }
  return true;
}

bool NdjsonFile::append(std::string_view line, std::string& error) {
  if (fd_ < 0) {
    error = "not open";
    return false;
  }
  buffer_.assign(line).append(1, '\n');
  if (write_all(write_, fd_, buffer_.data(), buffer_.size())) {
    size_ += buffer_.size();
    return true;
  }
  error = std::strerror(errno);
  // What part of the line was written goes: the next line starts a line.
  if (regular_) (void)::ftruncate(fd_, static_cast<off_t>(size_));
  return false;
}

std::string iso8601_utc(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return text;
}

}  // namespace webhook
