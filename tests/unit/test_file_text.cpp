// webhook_common::read_file: every configuration, scenario, mapping and
// certificate is read through it.
#include "support/scratch_dir.hpp"

#include <webhook_common/file_text.hpp>

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <thread>

namespace {

std::string scratch(const std::string& name) {
  return (test_support::scratch_dir("webhook-unit") / ("file-text-" + name)).string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_text)

BOOST_AUTO_TEST_CASE(a_file_is_read_whole_with_every_byte) {
  std::string bytes(200'000, 'x');  // more than one read
  bytes[5] = '\0', bytes[100'000] = '\n', bytes.back() = '\xff';
  const std::string path = scratch("whole");
  std::ofstream(path, std::ios::binary) << bytes;
  const auto read = webhook_common::read_file(path);
  BOOST_REQUIRE(read.has_value());
  BOOST_TEST((*read == bytes));
  std::ofstream(path, std::ios::trunc).flush();
  BOOST_TEST(webhook_common::read_file(path).value() == "");
}

BOOST_AUTO_TEST_CASE(a_missing_file_or_a_directory_is_refused_with_errno) {
  errno = 0;
  BOOST_TEST(!webhook_common::read_file(scratch("missing")).has_value());
  BOOST_TEST(errno == ENOENT);
  errno = 0;
  BOOST_TEST(!webhook_common::read_file(test_support::scratch_dir("webhook-unit").string()).has_value());
  BOOST_TEST(errno == EISDIR);
}

BOOST_AUTO_TEST_CASE(a_pipe_is_read_to_its_end) {
  const std::string path = scratch("fifo");
  BOOST_REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  std::thread writer([&] { std::ofstream(path) << "{\"from\": \"a pipe\"}"; });
  const auto read = webhook_common::read_file(path);
  writer.join();
  BOOST_TEST(read.value_or("(none)") == "{\"from\": \"a pipe\"}");
}

BOOST_AUTO_TEST_SUITE_END()
