// The durable spool: every accepted record is appended to a segment file
// before submit returns, acknowledged once delivered or dead-lettered, and
// recovered by the next instance over the same directory. Append-only
// segments of checksummed, length-prefixed entries; no external service.
//
// Entry: magic u32 | length u32 (payload bytes) | crc32c u32 (of type, seq
// and payload) | type u8 (1 record, 2 ack) | seq u64 | payload. A torn or
// corrupt entry is skipped by scanning to the next magic whose checksum
// holds, so one bad entry never hides the intact ones after it. Records are
// numbered consecutively, so the records a corrupt stretch hid are counted
// from the numbers missing around it.
#pragma once

#include <webhook/delivery/file_write.hpp>
#include <webhook/rendering/config.hpp>
#include <webhook/delivery/unique_fd.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

// The configured settings, and the system calls it makes (tests inject
// failures through them).
struct SpoolOptions : SpoolSettings {
  WriteFunction write = nullptr;              // write(2), or a test's seam
  int (*sync)(int fd) = nullptr;              // fdatasync(2), or a test's seam
};

// The largest payload an entry may hold: a record at delivery.max_record_bytes'
// maximum and its webhook-id.
inline constexpr std::uint32_t kMaxSpoolPayload = (16u << 20) + 4096;

struct RecoveredRecord {
  std::uint64_t seq = 0;
  std::string payload;
};

struct RecoveryReport {
  std::vector<RecoveredRecord> unacknowledged;  // in append order
  std::uint64_t segments = 0;
  std::uint64_t entries = 0;
  std::uint64_t corrupt_entries = 0;     // stretches of torn or corrupt bytes, skipped
  std::uint64_t skipped_bytes = 0;
  std::uint64_t unreadable_records = 0;  // records those stretches hid, not acknowledged: lost
  std::uint64_t torn_tail_bytes = 0;     // a last write cut short (its records were never accepted)
};

class Spool {
 public:
  // Opens (creating, mode 0700) the directory, takes its lock, reads every
  // segment. Throws std::runtime_error naming the problem and the file
  // (locked by another instance, unreadable, not a directory, a segment
  // that is not a regular file or whose name is not a segment's).
  Spool(SpoolOptions options, RecoveryReport& report);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  enum class Append { ok, full, failed };
  // Appends a record; `seq` receives its number. `full` when max_bytes
  // would be passed (back-pressure); `failed` with `error` on a write
  // failure (the record is not in the spool). With fsync=always the entry is
  // on disk when this returns ok. Thread-safe.
  Append append(std::string_view payload, std::uint64_t& seq, std::string& error);
  // The same for `count` payloads in one write (and one fsync with
  // "always"): appends a prefix of them, numbers them in `seqs`, and
  // returns its length; `status` says why it stopped short. A write that
  // fails is undone (the segment cut back), so no torn entry is left.
  std::size_t append_many(const std::string_view* payloads, std::size_t count, std::uint64_t* seqs, Append& status,
                          std::string& error);
  // Marks a record delivered or dead-lettered; deletes segments whose
  // records are all acknowledged (oldest first). Thread-safe.
  void acknowledge(std::uint64_t seq);
  // The same for `count` records in one write (and one fsync with
  // "always"). Numbers not awaiting acknowledgement are ignored.
  void acknowledge_many(const std::uint64_t* seqs, std::size_t count);
  // fdatasync now, outside the lock that appends take (the batch policy's
  // group commit calls this every few ms).
  void sync();
  std::uint64_t bytes() const;

  // CRC-32C of `data` (with SSE 4.2 where the CPU has it); the portable
  // table-driven form, for tests that compare the two.
  static std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);
  static std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t size);

  static void encode(std::string& out, std::uint8_t type, std::uint64_t seq, std::string_view payload);

 private:
  struct Segment {
    std::uint64_t number = 0;
    std::string path;
    std::uint64_t bytes = 0;
    std::uint64_t last_seq = 0;  // highest record seq it holds
  };
  using SharedFd = std::shared_ptr<UniqueFd>;  // kept by a sync running outside the lock
  void recover(RecoveryReport& report);
  bool write_buffer(const std::string& buffer, std::string& error);
  bool open_segment(std::uint64_t number, std::string& error);
  void delete_acknowledged_segments();

  SpoolOptions options_;
  WriteFunction write_;
  int (*sync_)(int fd);
  mutable std::mutex mutex_;
  UniqueFd lock_fd_;
  SharedFd fd_;  // the active segment
  std::deque<Segment> segments_;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, bool> pending_;  // seq -> unacknowledged records
  bool dirty_ = false;                      // written since the last fsync
  std::string ack_buffer_;                  // acknowledgements being written: keeps its capacity
};

}  // namespace webhook
