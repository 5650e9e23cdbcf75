#include "spool.hpp"
#include "support/scratch_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

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

BOOST_AUTO_TEST_SUITE_END()
