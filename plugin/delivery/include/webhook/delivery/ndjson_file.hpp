// An append-only NDJSON file (dead letters, delivery log): one line a
// record, each written whole with one write(2) so that a crash of the
// process loses none that was reported written. A write that fails (a full
// disk) is undone: the file is cut back to its last whole line, so the next
// line never lands on half of one. Created 0600: its lines hold records'
// personal data.
#pragma once

#include <webhook/delivery/file_write.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

class NdjsonFile {
 public:
  NdjsonFile() = default;
  NdjsonFile(const NdjsonFile&) = delete;
  NdjsonFile& operator=(const NdjsonFile&) = delete;
  ~NdjsonFile();

  // Opens `path` for appending, creating it (mode 0600). A regular file
  // whose last line was cut short (by a power loss) is cut back to its last
  // whole line; `torn_bytes` says how many bytes went. False (and `error`)
  // on failure.
  bool open(const std::string& path, std::string& error, WriteFunction write = nullptr);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  std::uint64_t torn_bytes() const { return torn_bytes_; }

  // Appends `line` and a newline. False on failure, with `error` the
  // system's words ("No space left on device"); the file is as before.
  bool append(std::string_view line, std::string& error);

 private:
  int fd_ = -1;
  bool regular_ = false;       // a regular file (not /dev/stdout): can be cut back
  std::uint64_t size_ = 0;     // up to its last whole line
  std::uint64_t torn_bytes_ = 0;
  std::string path_;
  std::string buffer_;         // the line and its newline: one write
  WriteFunction write_ = nullptr;
};

// "2026-01-31T12:34:56.789Z" for a Unix time in milliseconds.
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace webhook
