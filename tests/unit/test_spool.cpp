#include <webhook/delivery/spool.hpp>
#include "support/scratch_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

using namespace webhook;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, inside the process's scratch directory.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = test_support::scratch_dir("webhook-unit") / ("spool-" + std::to_string(++n));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

SpoolOptions options_for(const TempDir& dir, std::uint64_t max_bytes = 1 << 30, std::uint64_t segment_bytes = 1 << 20) {
  SpoolOptions o;
  o.dir = dir.path.string();
  o.fsync = FsyncPolicy::always;
  o.max_bytes = max_bytes;
  o.segment_bytes = segment_bytes;
  return o;
}

std::vector<fs::path> segments(const TempDir& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (e.path().filename().string().starts_with("segment-")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t append(Spool& spool, const std::string& payload) {
  std::uint64_t seq = 0;
  std::string error;
  BOOST_REQUIRE(spool.append(payload, seq, error) == Spool::Append::ok);
  return seq;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spool)

BOOST_AUTO_TEST_CASE(write_acknowledge_recover) {
  TempDir dir;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    BOOST_TEST(report.unacknowledged.empty());
    std::uint64_t a = append(spool, "first");
    append(spool, "second");
    append(spool, std::string("third\0with nul", 14));
    spool.acknowledge(a);
  }
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 2u);
  BOOST_TEST(report.unacknowledged[0].payload == "second");
  BOOST_TEST(report.unacknowledged[1].payload == std::string("third\0with nul", 14));
  BOOST_TEST(report.corrupt_entries == 0u);
  // New records continue the numbering.
  BOOST_TEST(append(again, "fourth") > report.unacknowledged[1].seq);
}

BOOST_AUTO_TEST_CASE(fully_acknowledged_segments_are_deleted) {
  TempDir dir;
  RecoveryReport report;
  Spool spool(options_for(dir, 1 << 30, 4096), report);
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 100; ++i) seqs.push_back(append(spool, std::string(200, 'x')));
  BOOST_TEST(segments(dir).size() > 3u);
  std::uint64_t before = spool.bytes();
  for (int i = 0; i < 99; ++i) spool.acknowledge(seqs[static_cast<std::size_t>(i)]);
  BOOST_TEST(segments(dir).size() <= 2u);  // the one holding the last record, and the active one
  BOOST_TEST(spool.bytes() < before);
  spool.acknowledge(seqs.back());
  append(spool, "later");  // lands in the active segment
}

BOOST_AUTO_TEST_CASE(acknowledgements_in_one_write) {
  TempDir dir;
  std::vector<std::uint64_t> seqs;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    for (int i = 0; i < 6; ++i) seqs.push_back(append(spool, "record " + std::to_string(i)));
    // Two of them, one unknown number and one twice: only pending records count.
    const std::uint64_t acks[] = {seqs[1], 999999, seqs[4], seqs[1]};
    const auto before = fs::file_size(segments(dir).back());
    spool.acknowledge_many(acks, 4);
    BOOST_TEST(fs::file_size(segments(dir).back()) - before == 2u * 21u);  // two ack entries, no payload
    spool.acknowledge_many(acks, 0);
  }
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 4u);
  BOOST_TEST(report.unacknowledged[0].payload == "record 0");
  BOOST_TEST(report.unacknowledged[1].payload == "record 2");
  BOOST_TEST(report.unacknowledged[2].payload == "record 3");
  BOOST_TEST(report.unacknowledged[3].payload == "record 5");
  BOOST_TEST(report.corrupt_entries == 0u);
}

BOOST_AUTO_TEST_CASE(a_corrupt_entry_is_skipped_and_the_rest_recovered) {
  TempDir dir;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    append(spool, "alpha-record");
    append(spool, "bravo-record");
    append(spool, "charlie-record");
  }
  auto files = segments(dir);
  BOOST_REQUIRE(!files.empty());
  std::fstream f(files.front(), std::ios::in | std::ios::out | std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto at = data.find("bravo");
  BOOST_REQUIRE(at != std::string::npos);
  f.seekp(static_cast<std::streamoff>(at));
  f.put('X');
  f.close();
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 2u);
  BOOST_TEST(report.unacknowledged[0].payload == "alpha-record");
  BOOST_TEST(report.unacknowledged[1].payload == "charlie-record");
  BOOST_TEST(report.corrupt_entries == 1u);
}

BOOST_AUTO_TEST_CASE(a_torn_tail_is_skipped) {
  TempDir dir;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    append(spool, "kept-one");
    append(spool, "kept-two");
    append(spool, "torn-three");
  }
  auto file = segments(dir).front();
  fs::resize_file(file, fs::file_size(file) - 4);  // a crash mid-write
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 2u);
  BOOST_TEST(report.unacknowledged[1].payload == "kept-two");
  BOOST_TEST(report.corrupt_entries == 1u);
  BOOST_TEST(report.skipped_bytes > 0u);
}

BOOST_AUTO_TEST_CASE(one_instance_per_directory) {
  TempDir dir;
  RecoveryReport report;
  Spool first(options_for(dir), report);
  try {
    Spool second(options_for(dir), report);
    BOOST_FAIL("a second spool on the same directory must be refused");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("in use by another instance") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(full_means_back_pressure_never_a_drop) {
  TempDir dir;
  RecoveryReport report;
  Spool spool(options_for(dir, 2048, 1024), report);
  std::uint64_t seq = 0;
  std::string error;
  std::vector<std::uint64_t> accepted;
  while (spool.append(std::string(100, 'y'), seq, error) == Spool::Append::ok) accepted.push_back(seq);
  BOOST_TEST(!accepted.empty());
  BOOST_TEST((spool.append(std::string(100, 'y'), seq, error) == Spool::Append::full));  // still full: nothing dropped
  for (auto s : accepted) spool.acknowledge(s);
  BOOST_TEST((spool.append(std::string(100, 'y'), seq, error) == Spool::Append::ok));  // space freed
}

BOOST_AUTO_TEST_CASE(crc32c_known_value) {
  BOOST_TEST(Spool::crc32c(0, "123456789", 9) == 0xE3069283u);
  BOOST_TEST(Spool::crc32c_portable(0, "123456789", 9) == 0xE3069283u);
  // The hardware and the table agree on every length and alignment, and
  // when a checksum is continued.
  std::string data(300, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + 7) & 0xff);
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t n = 0; offset + n <= data.size(); n += 13) {
      BOOST_TEST(Spool::crc32c(0, data.data() + offset, n) == Spool::crc32c_portable(0, data.data() + offset, n));
    }
  }
  std::uint32_t first = Spool::crc32c(0, data.data(), 100);
  BOOST_TEST(Spool::crc32c(first, data.data() + 100, 200) == Spool::crc32c(0, data.data(), 300));
}

// What sits in a spool directory under a segment's name is read only when
// it is a regular file with a segment's name: a FIFO hung the start (and
// SIGTERM did not end it), a name of other letters failed with the bare word
// "stoull" and kept the lock, a directory failed without naming itself.
BOOST_AUTO_TEST_CASE(only_regular_files_named_as_segments_are_read) {
  struct Case {
    std::string name;
    std::function<void(const fs::path&)> make;
    std::string words;
  };
  const Case cases[] = {
      {"segment-0000000000000002.log", [](const fs::path& p) { BOOST_REQUIRE(::mkfifo(p.c_str(), 0600) == 0); }, "is a FIFO"},
      {"segment-0000000000000003.log", [](const fs::path& p) { fs::create_directory(p); }, "is a directory"},
      {"segment-00000000000000ab.log", [](const fs::path& p) { std::ofstream(p) << "x"; }, "is not one (segment-<16 digits>.log)"},
      {"segment-1.log", [](const fs::path& p) { std::ofstream(p) << "x"; }, "is not one (segment-<16 digits>.log)"},
      {"segment-0000000000000004.log", [](const fs::path& p) { fs::create_symlink("/dev/zero", p); }, "is a symbolic link"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    fs::create_directories(dir.path);
    const fs::path bad = dir.path / c.name;
    c.make(bad);
    RecoveryReport report;
    try {
      Spool spool(options_for(dir), report);
      BOOST_ERROR(c.name << " was accepted");
    } catch (const std::runtime_error& e) {
      BOOST_TEST(std::string(e.what()).find(bad.string()) != std::string::npos, e.what());
      BOOST_TEST(std::string(e.what()).find(c.words) != std::string::npos, e.what());
    }
    // Nothing held on to: once the file is gone the same process opens it.
    fs::remove_all(bad);
    RecoveryReport again;
    Spool spool(options_for(dir), again);
    BOOST_TEST(again.unacknowledged.empty());
  }
}

// A segment is read in bounded pieces: a sparse 512 MiB segment took 990 MB
// of memory, all of it at once.
BOOST_AUTO_TEST_CASE(a_huge_segment_is_read_in_bounded_memory) {
  TempDir dir;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    append(spool, "before the hole");
  }
  const auto file = segments(dir).front();
  fs::resize_file(file, 512ull << 20);  // a hole of zeros, as a damaged disk or a bad copy might leave
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const long before_kib = usage.ru_maxrss;
  RecoveryReport report;
  Spool again(options_for(dir), report);
  ::getrusage(RUSAGE_SELF, &usage);
  BOOST_TEST(usage.ru_maxrss - before_kib < 64 * 1024, "peak resident memory grew by " << (usage.ru_maxrss - before_kib) << " KiB");
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 1u);
  BOOST_TEST(report.unacknowledged[0].payload == "before the hole");
  BOOST_TEST(report.skipped_bytes > (511ull << 20));
}

// Forty records lost in one damaged stretch were reported as "1 torn or
// corrupt entry": the records are numbered in order, so those missing
// between intact ones are counted, less those acknowledged elsewhere.
BOOST_AUTO_TEST_CASE(records_a_damaged_stretch_hid_are_counted) {
  TempDir dir;
  std::vector<std::uint64_t> seqs;
  {
    RecoveryReport report;
    Spool spool(options_for(dir), report);
    for (int i = 0; i < 50; ++i) seqs.push_back(append(spool, "record-" + std::to_string(i) + std::string(40, '.')));
    spool.acknowledge(seqs[20]);  // delivered: its loss costs nothing
  }
  const auto file = segments(dir).front();
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto from = data.find("record-5.");
  const auto to = data.find("record-45.");
  BOOST_REQUIRE(from != std::string::npos && to != std::string::npos);
  const std::size_t header = 21;
  f.seekp(static_cast<std::streamoff>(from - header));
  const std::string zeros(to - header - (from - header), '\0');  // records 5 to 44, headers and all
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  f.close();
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_TEST(report.unacknowledged.size() == 10u);  // 0-4 and 45-49
  BOOST_TEST(report.corrupt_entries == 1u);
  BOOST_TEST(report.skipped_bytes == zeros.size());
  BOOST_TEST(report.unreadable_records == 39u);  // 5 to 44, but 20
  BOOST_TEST(report.torn_tail_bytes == 0u);
}

namespace {
// A disk that fills up: once full, a write puts down half its bytes and the
// one after fails with ENOSPC, as a write(2) that runs out of room does.
std::atomic<bool> g_disk_full{false};
std::atomic<bool> g_half_written{false};
ssize_t filling_write(int fd, const void* data, std::size_t size) {
  if (!g_disk_full.load()) return ::write(fd, data, size);
  if (size > 1 && !g_half_written.exchange(true)) return ::write(fd, data, size / 2);
  errno = ENOSPC;
  return -1;
}
}  // namespace

// A write that fails halfway is undone: the segment is cut back, so the next
// start finds no torn entry (and no record under a number given again).
BOOST_AUTO_TEST_CASE(a_failed_write_leaves_no_torn_entry) {
  TempDir dir;
  {
    RecoveryReport report;
    SpoolOptions options = options_for(dir);
    options.write = filling_write;
    Spool spool(options, report);
    append(spool, "stored");
    g_disk_full = true;
    g_half_written = false;
    std::uint64_t seq = 0;
    std::string error;
    BOOST_TEST((spool.append("lost to a full disk", seq, error) == Spool::Append::failed));
    BOOST_TEST(error.find("No space left on device") != std::string::npos, error);
    BOOST_TEST(g_half_written.load());
    g_disk_full = false;
    append(spool, "after the disk had room");
  }
  RecoveryReport report;
  Spool again(options_for(dir), report);
  BOOST_TEST(report.corrupt_entries == 0u);
  BOOST_REQUIRE_EQUAL(report.unacknowledged.size(), 2u);
  BOOST_TEST(report.unacknowledged[0].payload == "stored");
  BOOST_TEST(report.unacknowledged[1].payload == "after the disk had room");
  BOOST_TEST(report.unacknowledged[0].seq < report.unacknowledged[1].seq);
}

namespace {
// An fdatasync that takes as long as the test says.
std::mutex g_sync_mutex;
std::condition_variable g_sync_changed;
bool g_sync_blocked = false, g_sync_entered = false;
int blocking_sync(int fd) {
  std::unique_lock lock(g_sync_mutex);
  g_sync_entered = true;
  g_sync_changed.notify_all();
  g_sync_changed.wait(lock, [] { return !g_sync_blocked; });
  return ::fdatasync(fd);
}
}  // namespace

// fdatasync ran under the lock every append takes: a slow disk held up
// every submitting thread, not only the one waiting for its own records.
BOOST_AUTO_TEST_CASE(a_sync_in_progress_does_not_hold_up_appends) {
  TempDir dir;
  SpoolOptions options = options_for(dir);
  options.fsync = FsyncPolicy::batch;
  options.sync = blocking_sync;
  RecoveryReport report;
  Spool spool(options, report);
  append(spool, "to be synced");
  {
    std::lock_guard lock(g_sync_mutex);
    g_sync_blocked = true;
    g_sync_entered = false;
  }
  std::thread syncer([&] { spool.sync(); });
  {
    std::unique_lock lock(g_sync_mutex);
    g_sync_changed.wait(lock, [] { return g_sync_entered; });
  }
  // The sync is blocked on the "disk": appends and acknowledgements go on.
  const auto seq = append(spool, "while the disk is slow");
  spool.acknowledge(seq);
  {
    std::lock_guard lock(g_sync_mutex);
    g_sync_blocked = false;
  }
  g_sync_changed.notify_all();
  syncer.join();
}

// Segments and the lock file hold records' personal data: mode 0600.
BOOST_AUTO_TEST_CASE(spool_files_are_private) {
  TempDir dir;
  RecoveryReport report;
  Spool spool(options_for(dir), report);
  append(spool, "personal data");
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    struct stat st {};
    BOOST_REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u, entry.path() << " has mode " << std::oct << (st.st_mode & 0777));
  }
}

BOOST_AUTO_TEST_SUITE_END()
