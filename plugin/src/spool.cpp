#include "spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace webhook {
namespace {

constexpr std::uint32_t kMagic = 0x4C4F4F53;  // "SOOL" little-endian on disk
constexpr std::size_t kHeader = 4 + 4 + 4 + 1 + 8;
constexpr std::uint32_t kMaxPayload = 64u << 20;
constexpr std::uint8_t kRecord = 1;
constexpr std::uint8_t kAck = 2;

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;  // Castagnoli
    table[i] = c;
  }
  return table;
}

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint32_t get32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
std::uint64_t get64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::string segment_name(std::uint64_t number) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%016llu.log", static_cast<unsigned long long>(number));
  return name;
}

}  // namespace

namespace {

std::uint32_t crc32c_table(std::uint32_t crc, const unsigned char* p, std::size_t size) {
  static const auto table = make_crc_table();
  for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE 4.2's crc32 instruction computes CRC-32C: eight bytes a cycle or so,
// where the table takes one. It was a twentieth of the submitting thread's
// time with a spool.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc, const unsigned char* p,
                                                              std::size_t size) {
  std::uint64_t c = crc;
  for (; size >= 8; size -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; size > 0; --size, ++p) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}
#endif

}  // namespace

std::uint32_t Spool::crc32c(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return ~crc32c_sse42(~crc, p, size);
#endif
  return ~crc32c_table(~crc, p, size);
}

std::uint32_t Spool::crc32c_portable(std::uint32_t crc, const void* data, std::size_t size) {
  return ~crc32c_table(~crc, static_cast<const unsigned char*>(data), size);
}

Spool::Spool(SpoolOptions options, RecoveryReport& report) : options_(std::move(options)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (!fs::is_directory(options_.dir)) {
    throw std::runtime_error("delivery.spool.dir: '" + options_.dir + "' is not a directory and cannot be created");
  }
  std::string lock_path = (fs::path(options_.dir) / "LOCK").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw std::runtime_error("delivery.spool.dir: cannot open '" + lock_path + "': " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    ssize_t n = ::pread(lock_fd_, holder, sizeof holder - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error("delivery.spool.dir: '" + options_.dir + "' is in use by another instance" +
                             (n > 0 ? std::string(" (pid ") + std::string(holder, static_cast<std::size_t>(n)) + ")" : "") +
                             "; one spool directory serves one instance");
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(lock_fd_, 0) == 0) (void)!::pwrite(lock_fd_, pid.data(), pid.size(), 0);

  // Recovery: every segment in order; records minus acknowledgements.
  std::vector<std::pair<std::uint64_t, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 28 && name.starts_with("segment-") && name.ends_with(".log")) {
      files.emplace_back(std::stoull(name.substr(8, 16)), entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::uint64_t, std::string> unacked;
  for (const auto& [number, path] : files) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Segment segment{number, path.string(), data.size(), 0};
    std::size_t pos = 0;
    bool in_bad_run = false;
    while (pos + kHeader <= data.size()) {
      const char* p = data.data() + pos;
      std::uint32_t length = get32(p + 4);
      bool ok = get32(p) == kMagic && length <= kMaxPayload && pos + kHeader + length <= data.size() &&
                crc32c(0, p + 12, 9 + length) == get32(p + 8);
      if (!ok) {
        if (!in_bad_run) ++report.corrupt_entries;
        in_bad_run = true;
        ++report.skipped_bytes;
        ++pos;  // scan on to the next entry that checks out
        continue;
      }
      in_bad_run = false;
      std::uint8_t type = static_cast<std::uint8_t>(p[12]);
      std::uint64_t seq = get64(p + 13);
      ++report.entries;
      if (type == kRecord) {
        unacked[seq] = std::string(p + kHeader, length);
        segment.last_seq = std::max(segment.last_seq, seq);
      } else if (type == kAck) {
        unacked.erase(seq);
      }
      next_seq_ = std::max(next_seq_, seq + 1);
      pos += kHeader + length;
    }
    if (pos < data.size()) {  // a torn tail
      if (!in_bad_run) ++report.corrupt_entries;
      report.skipped_bytes += data.size() - pos;
    }
    segments_.push_back(segment);
    total_bytes_ += segment.bytes;
    ++report.segments;
  }
  for (auto& [seq, payload] : unacked) {
    pending_.emplace(seq, true);
    report.unacknowledged.push_back({seq, std::move(payload)});
  }
  std::string error;
  if (!open_segment(files.empty() ? 1 : files.back().first + 1, error)) throw std::runtime_error(error);
  std::lock_guard lock(mutex_);
  delete_acknowledged_segments();
}

Spool::~Spool() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
  if (pending_.empty()) {
    // Everything acknowledged: an empty spool for the next start.
    for (const auto& segment : segments_) ::unlink(segment.path.c_str());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

bool Spool::open_segment(std::uint64_t number, std::string& error) {
  std::string path = (std::filesystem::path(options_.dir) / segment_name(number)).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "delivery.spool.dir: cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
  fd_ = fd;
  segments_.push_back({number, path, 0, 0});
  // The new file's name must survive a power loss too.
  int dir = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

void Spool::encode(std::string& out, std::uint8_t type, std::uint64_t seq, std::string_view payload) {
  std::size_t start = out.size();
  put32(out, kMagic);
  put32(out, static_cast<std::uint32_t>(payload.size()));
  put32(out, 0);  // checksum, below
  out += static_cast<char>(type);
  put64(out, seq);
  out.append(payload);
  std::uint32_t crc = crc32c(0, out.data() + start + 12, 9 + payload.size());
  for (int i = 0; i < 4; ++i) out[start + 8 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

std::size_t Spool::append_many(const std::string_view* payloads, std::size_t count, std::uint64_t* seqs,
                               Append& status, std::string& error) {
  std::lock_guard lock(mutex_);
  status = Append::ok;
  std::string buffer;
  std::size_t appended = 0, in_buffer = 0;
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
    std::uint64_t size = kHeader + payloads[i].size();
    if (planned + size > options_.max_bytes) {
      status = Append::full;
      break;
    }
    Segment& active = segments_.back();
    if (active.bytes + buffer.size() > 0 && active.bytes + buffer.size() + size > options_.segment_bytes) {
      if (!commit() || !open_segment(segments_.back().number + 1, error)) {
        status = Append::failed;
        return appended;
      }
    }
    seqs[i] = next_seq_ + i;
    encode(buffer, kRecord, seqs[i], payloads[i]);
    ++in_buffer;
    planned += size;
  }
  if (!commit()) status = Append::failed;
  next_seq_ += appended;
  if (status == Append::failed) return appended;
  if (options_.fsync == FsyncPolicy::always && appended > 0 && ::fdatasync(fd_) != 0) {
    error = std::string("delivery.spool: fdatasync failed: ") + std::strerror(errno);
    status = Append::failed;
    return 0;  // not known to be on disk: none counts as accepted
  }
  return appended;
}

bool Spool::write_buffer(const std::string& buffer, std::string& error) {
  const char* data = buffer.data();
  std::size_t left = buffer.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("delivery.spool: writing to '") + segments_.back().path + "' failed: " +
              (n < 0 ? std::strerror(errno) : "no progress");
      return false;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  segments_.back().bytes += buffer.size();
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
  std::lock_guard lock(mutex_);
  ack_buffer_.clear();
  for (std::size_t i = 0; i < count; ++i) {
    if (pending_.erase(seqs[i]) != 0) encode(ack_buffer_, kAck, seqs[i], {});
  }
  if (ack_buffer_.empty()) return;
  // A lost acknowledgement means a duplicate after a restart, never a loss:
  // a failure here is not reported.
  std::string error;
  Segment& active = segments_.back();
  const bool room = active.bytes == 0 || active.bytes + ack_buffer_.size() <= options_.segment_bytes ||
                    open_segment(active.number + 1, error);
  if (room && write_buffer(ack_buffer_, error) && options_.fsync == FsyncPolicy::always && ::fdatasync(fd_) == 0) {
    dirty_ = false;
  }
  delete_acknowledged_segments();
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
  std::lock_guard lock(mutex_);
  if (!dirty_ || fd_ < 0) return;
  ::fdatasync(fd_);
  dirty_ = false;
}

std::uint64_t Spool::bytes() const {
  std::lock_guard lock(mutex_);
  return total_bytes_;
}

}  // namespace webhook
