#include "ndjson_file.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

namespace webhook {

NdjsonFile::~NdjsonFile() {
  if (file_ != nullptr) std::fclose(file_);
}

bool NdjsonFile::open(const std::string& path, std::string& error) {
  file_ = std::fopen(path.c_str(), "ae");
  if (file_ == nullptr) {
    error = "cannot open '" + path + "' for appending: " + std::strerror(errno);
    return false;
  }
  return true;
}

bool NdjsonFile::append(std::string_view line) {
  if (file_ == nullptr) return false;
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return false;
  if (std::fputc('\n', file_) == EOF) return false;
  return std::fflush(file_) == 0;
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
