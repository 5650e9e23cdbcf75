// An append-only NDJSON file (dead letters, delivery log): one line a
// record, flushed to the kernel after each so that a crash of the process
// loses none that was reported written.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace webhook {

class NdjsonFile {
 public:
  NdjsonFile() = default;
  NdjsonFile(const NdjsonFile&) = delete;
  NdjsonFile& operator=(const NdjsonFile&) = delete;
  ~NdjsonFile();

  // Opens `path` for appending, creating it. False (and `error`) on failure.
  bool open(const std::string& path, std::string& error);
  bool is_open() const { return file_ != nullptr; }
  // Appends `line` and a newline, then flushes. False on any failure.
  bool append(std::string_view line);

 private:
  std::FILE* file_ = nullptr;
};

// "2026-01-31T12:34:56.789Z" for a Unix time in milliseconds.
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace webhook
