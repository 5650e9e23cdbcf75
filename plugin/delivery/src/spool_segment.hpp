// The spool's on-disk form: its entries' encoding, its segment files' names,
// and a reader that scans a segment in bounded chunks (a segment of any
// size costs a few MiB of memory to read, whatever it holds).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook::spool_format {

inline constexpr std::uint32_t kMagic = 0x4C4F4F53;  // "SOOL" little-endian on disk
inline constexpr std::size_t kHeader = 4 + 4 + 4 + 1 + 8;
inline constexpr std::uint8_t kRecord = 1;
inline constexpr std::uint8_t kAck = 2;

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);
std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t size);

// Appends one entry to `out`.
void encode(std::string& out, std::uint8_t type, std::uint64_t seq, std::string_view payload);

struct SegmentFile {
  std::uint64_t number = 0;
  std::string path;
};

// "segment-0000000000000007.log".
std::string segment_name(std::uint64_t number);

// The segment files of `dir`, in order. Throws std::runtime_error naming a
// file that is named like a segment ("segment-*.log") but whose number is
// not 16 digits.
std::vector<SegmentFile> list_segments(const std::string& dir);

struct ScanResult {
  std::uint64_t bytes = 0;
  std::uint64_t entries = 0;
  std::uint64_t corrupt_stretches = 0;  // runs of bytes that are no intact entry
  std::uint64_t skipped_bytes = 0;
  std::uint64_t torn_tail_bytes = 0;  // of those, a last entry cut short at the end
};

using EntryHandler = std::function<void(std::uint8_t type, std::uint64_t seq, std::string_view payload)>;

// Reads `file` (a regular file: opened without following a link or
// blocking, and checked) and calls `on_entry` for each intact entry in
// order. Throws std::runtime_error naming the file when it cannot be read
// or is not a regular file.
ScanResult scan_segment(const SegmentFile& file, std::uint32_t max_payload, const EntryHandler& on_entry);

}  // namespace webhook::spool_format
