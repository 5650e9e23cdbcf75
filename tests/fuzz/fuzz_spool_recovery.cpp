// The spool reads back whatever a crash, a full disk or a bad sector left
// in its segments. Fuzzed for: no crash on any bytes, every recovered record
// unacknowledged and in order, and what one recovery keeps is what the next
// keeps (the recovering instance rewrites nothing it did not understand).
//
// Input: the bytes of one segment file.
#include "fuzz_check.hpp"
#include "fuzz_scratch.hpp"
#include <webhook/delivery/spool.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

using namespace webhook;

namespace {

// One directory for the process, in memory where there is /dev/shm (the
// spool syncs its files and its directory).
const std::filesystem::path& directory() {
  static const ScratchDir dir("fuzz-spool");
  return dir.path;
}

RecoveryReport recover() {
  RecoveryReport report;
  SpoolOptions options;
  options.dir = directory().string();
  options.fsync = FsyncPolicy::off;
  Spool spool(options, report);
  return report;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const auto& entry : std::filesystem::directory_iterator(directory())) std::filesystem::remove_all(entry);
  {
    std::ofstream segment(directory() / "segment-0000000000000001.log", std::ios::binary);
    segment.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  RecoveryReport first = recover();
  FUZZ_CHECK(first.skipped_bytes <= size, "more bytes skipped than the segment holds");
  for (std::size_t i = 1; i < first.unacknowledged.size(); ++i) {
    FUZZ_CHECK(first.unacknowledged[i - 1].seq < first.unacknowledged[i].seq, "records recovered out of order");
  }
  // Nothing was acknowledged: the next instance finds the same records.
  RecoveryReport second = recover();
  FUZZ_CHECK(second.unacknowledged.size() == first.unacknowledged.size(), "a second recovery found other records");
  for (std::size_t i = 0; i < first.unacknowledged.size(); ++i) {
    FUZZ_CHECK(second.unacknowledged[i].seq == first.unacknowledged[i].seq &&
                   second.unacknowledged[i].payload == first.unacknowledged[i].payload,
               "a second recovery found another record");
  }
  return 0;
}
