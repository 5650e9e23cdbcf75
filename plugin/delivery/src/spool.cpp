#include <webhook/delivery/spool.hpp>

#include "spool_segment.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace webhook {

namespace format = spool_format;

std::uint32_t Spool::crc32c(std::uint32_t crc, const void* data, std::size_t size) {
  return format::crc32c(crc, data, size);
}

std::uint32_t Spool::crc32c_portable(std::uint32_t crc, const void* data, std::size_t size) {
  return format::crc32c_portable(crc, data, size);
}

void Spool::encode(std::string& out, std::uint8_t type, std::uint64_t seq, std::string_view payload) {
  format::encode(out, type, seq, payload);
}

namespace {

// Takes the directory's lock, or throws saying who holds it.
UniqueFd lock_directory(const std::string& dir) {
  const std::string lock_path = (std::filesystem::path(dir) / "LOCK").string();
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw std::runtime_error("delivery.spool.dir: cannot open '" + lock_path + "': " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    const ssize_t n = ::pread(fd.get(), holder, sizeof holder - 1, 0);
    throw std::runtime_error("delivery.spool.dir: '" + dir + "' is in use by another instance" +
                             (n > 0 ? std::string(" (pid ") + std::string(holder, static_cast<std::size_t>(n)) + ")" : "") +
                             "; one spool directory serves one instance");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd.get(), 0) == 0) (void)!::pwrite(fd.get(), pid.data(), pid.size(), 0);
  return fd;
}

// Records missing between intact ones: the numbers of the records a corrupt
// stretch hid.
struct Gaps {
  std::uint64_t last_record = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // inclusive
  std::vector<std::uint64_t> orphan_acks;                       // acks whose record was not read

  void record(std::uint64_t seq) {
    if (last_record != 0 && seq > last_record + 1) ranges.emplace_back(last_record + 1, seq - 1);
    last_record = std::max(last_record, seq);
  }
  // Hidden records that were not acknowledged: lost.
  std::uint64_t lost() {
    std::sort(orphan_acks.begin(), orphan_acks.end());
    orphan_acks.erase(std::unique(orphan_acks.begin(), orphan_acks.end()), orphan_acks.end());
    std::uint64_t count = 0;
    for (const auto& [from, to] : ranges) {
      const auto first = std::lower_bound(orphan_acks.begin(), orphan_acks.end(), from);
      const auto last = std::upper_bound(orphan_acks.begin(), orphan_acks.end(), to);
      count += (to - from + 1) - static_cast<std::uint64_t>(last - first);
    }
    return count;
  }
};

}  // namespace

Spool::Spool(SpoolOptions options, RecoveryReport& report)
    : options_(std::move(options)),
      write_(write_function_or_default(options_.write)),
      sync_(options_.sync != nullptr ? options_.sync : ::fdatasync) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(options_.dir, ec)) && !fs::is_directory(options_.dir, ec)) {
    throw std::runtime_error("delivery.spool.dir: '" + options_.dir + "' exists and is not a directory");
  }
  fs::create_directories(options_.dir, ec);
  if (!fs::is_directory(options_.dir)) {
    throw std::runtime_error("delivery.spool.dir: cannot create the directory '" + options_.dir +
                             "': " + (ec ? ec.message() : "unknown error"));
  }
  lock_fd_ = lock_directory(options_.dir);
  recover(report);
  std::string error;
  const std::uint64_t next = segments_.empty() ? 1 : segments_.back().number + 1;
  if (!open_segment(next, error)) throw std::runtime_error(error);
  std::lock_guard lock(mutex_);
  delete_acknowledged_segments();
}

// Every segment in order: records minus acknowledgements.
void Spool::recover(RecoveryReport& report) {
  std::map<std::uint64_t, std::string> unacked;
  Gaps gaps;
  for (const auto& file : format::list_segments(options_.dir)) {
    Segment segment{file.number, file.path, 0, 0};
    const auto scanned = format::scan_segment(file, kMaxSpoolPayload, [&](std::uint8_t type, std::uint64_t seq,
                                                                          std::string_view payload) {
      if (type == format::kRecord) {
        unacked[seq] = std::string(payload);
        segment.last_seq = std::max(segment.last_seq, seq);
        gaps.record(seq);
      } else if (type == format::kAck && unacked.erase(seq) == 0) {
        gaps.orphan_acks.push_back(seq);
      }
      next_seq_ = std::max(next_seq_, seq + 1);
    });
    segment.bytes = scanned.bytes;
    report.entries += scanned.entries;
    report.corrupt_entries += scanned.corrupt_stretches;
    report.skipped_bytes += scanned.skipped_bytes;
    report.torn_tail_bytes += scanned.torn_tail_bytes;
    segments_.push_back(segment);
    total_bytes_ += segment.bytes;
    ++report.segments;
  }
  report.unreadable_records = gaps.lost();
  for (auto& [seq, payload] : unacked) {
    pending_.emplace(seq, true);
    report.unacknowledged.push_back({seq, std::move(payload)});
  }
}

Spool::~Spool() {
  if (fd_ && *fd_) sync_(fd_->get());
  fd_.reset();
  if (pending_.empty()) {
    // Everything acknowledged: an empty spool for the next start.
    for (const auto& segment : segments_) ::unlink(segment.path.c_str());
  }
  // lock_fd_ closes last: that releases the lock.
}

bool Spool::open_segment(std::uint64_t number, std::string& error) {
  const std::string path = (std::filesystem::path(options_.dir) / format::segment_name(number)).string();
  auto fd = std::make_shared<UniqueFd>(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!*fd) {
    error = "delivery.spool.dir: cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (fd_ && *fd_) sync_(fd_->get());
  fd_ = std::move(fd);
  segments_.push_back({number, path, 0, 0});
  // The new file's name must survive a power loss too.
  UniqueFd dir(::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return true;
}

std::size_t Spool::append_many(const std::string_view* payloads, std::size_t count, std::uint64_t* seqs,
                               Append& status, std::string& error) {
  SharedFd to_sync;
  std::size_t appended = 0;
  {
    std::lock_guard lock(mutex_);
    status = Append::ok;
    std::string buffer;
    std::size_t in_buffer = 0;
    auto commit = [&] {
      if (buffer.empty()) return true;
      if (!write_buffer(buffer, error)) return false;
      for (std::size_t i = appended; i < appended + in_buffer; ++i) {
        pending_.emplace(seqs[i], true);
        segments_.back().last_seq = seqs[i];
      }
      appended += in_buffer;
      in_buffer = 0;
      buffer.clear();
      return true;
    };
    std::uint64_t planned = total_bytes_;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t size = format::kHeader + payloads[i].size();
      if (planned + size > options_.max_bytes) {
        status = Append::full;
        break;
      }
      const Segment& active = segments_.back();
      if (active.bytes + buffer.size() > 0 && active.bytes + buffer.size() + size > options_.segment_bytes) {
        if (!commit() || !open_segment(segments_.back().number + 1, error)) {
          status = Append::failed;
          next_seq_ += appended;
          return appended;
        }
      }
      seqs[i] = next_seq_ + i;
      format::encode(buffer, format::kRecord, seqs[i], payloads[i]);
      ++in_buffer;
      planned += size;
    }
    if (!commit()) status = Append::failed;
    next_seq_ += appended;
    if (status == Append::failed) return appended;
    if (options_.fsync == FsyncPolicy::always && appended > 0) to_sync = fd_;
  }
  // On disk before it counts as accepted; other submitters append meanwhile.
  if (to_sync && sync_(to_sync->get()) != 0) {
    error = std::string("delivery.spool: fdatasync failed: ") + std::strerror(errno);
    status = Append::failed;
    return 0;  // not known to be on disk: none counts as accepted
  }
  return appended;
}

bool Spool::write_buffer(const std::string& buffer, std::string& error) {
  Segment& active = segments_.back();
  if (!write_all(write_, fd_->get(), buffer.data(), buffer.size())) {
    error = "delivery.spool: writing to '" + active.path + "' failed: " + std::strerror(errno);
    // Undo what part was written: no torn entry for the next start to skip,
    // and the numbers of these records are given to the next ones.
    (void)::ftruncate(fd_->get(), static_cast<off_t>(active.bytes));
    return false;
  }
  active.bytes += buffer.size();
  total_bytes_ += buffer.size();
  dirty_ = true;
  return true;
}

Spool::Append Spool::append(std::string_view payload, std::uint64_t& seq, std::string& error) {
  Append status = Append::ok;
  append_many(&payload, 1, &seq, status, error);
  return status;
}

void Spool::acknowledge(std::uint64_t seq) { acknowledge_many(&seq, 1); }

void Spool::acknowledge_many(const std::uint64_t* seqs, std::size_t count) {
  SharedFd to_sync;
  {
    std::lock_guard lock(mutex_);
    ack_buffer_.clear();
    for (std::size_t i = 0; i < count; ++i) {
      if (pending_.erase(seqs[i]) != 0) format::encode(ack_buffer_, format::kAck, seqs[i], {});
    }
    if (ack_buffer_.empty()) return;
    // A lost acknowledgement means a duplicate after a restart, never a loss:
    // a failure here is not reported.
    std::string error;
    const Segment& active = segments_.back();
    const bool room = active.bytes == 0 || active.bytes + ack_buffer_.size() <= options_.segment_bytes ||
                      open_segment(active.number + 1, error);
    if (room && write_buffer(ack_buffer_, error) && options_.fsync == FsyncPolicy::always) to_sync = fd_;
    delete_acknowledged_segments();
  }
  if (to_sync) sync_(to_sync->get());
}

void Spool::delete_acknowledged_segments() {
  // Oldest first, never the active one: a segment goes once no record in it
  // or before it awaits acknowledgement (acks only follow their records).
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    if (!pending_.empty() && pending_.begin()->first <= oldest.last_seq) break;
    ::unlink(oldest.path.c_str());
    total_bytes_ -= std::min(total_bytes_, oldest.bytes);
    segments_.pop_front();
  }
}

void Spool::sync() {
  SharedFd to_sync;
  {
    std::lock_guard lock(mutex_);
    if (!dirty_ || !fd_) return;
    dirty_ = false;
    to_sync = fd_;
  }
  sync_(to_sync->get());
}

std::uint64_t Spool::bytes() const {
  std::lock_guard lock(mutex_);
  return total_bytes_;
}

}  // namespace webhook
