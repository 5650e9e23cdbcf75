// What a finished record leaves: its dead letter and its delivery-log row,
// whole lines whatever the disk does, private files, response excerpts with
// no secret in any form and valid UTF-8, log lines that stay one line.
#include "integration/delivery_support.hpp"

#include <sys/stat.h>

#include <cerrno>

using namespace delivery_test;

namespace {

// A disk that fills up: once full, the next write puts down half its bytes
// and every one after fails with ENOSPC, as write(2) does running out of room.
std::atomic<bool> g_disk_full{false};
std::atomic<bool> g_half_written{false};
ssize_t filling_write(int fd, const void* data, std::size_t size) {
  if (!g_disk_full.load()) return ::write(fd, data, size);
  if (size > 1 && !g_half_written.exchange(true)) return ::write(fd, data, size / 2);
  errno = ENOSPC;
  return -1;
}

// A disk full for the dead-letter files only (their names end in .ndjson):
// the spool's writes go through, whenever they happen.
ssize_t dead_letters_full_write(int fd, const void* data, std::size_t size) {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
  if (ec || path.extension() != ".ndjson") return ::write(fd, data, size);
  errno = ENOSPC;
  return -1;
}

struct DiskFull {
  DiskFull() {
    g_half_written = false;
    g_disk_full = true;
  }
  ~DiskFull() { g_disk_full = false; }
};

mock::Responder answering(int status, std::string body = {}) {
  return [status, body](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = status;
    r.body = body;
    return r;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outcomes)

// A dead letter half-written to a full disk stayed in the file, the next
// letter was appended onto it and could not be parsed, though that record
// was reported DEAD_LETTERED. A failed write is undone, and the record
// completes as failed, saying why.
BOOST_AUTO_TEST_CASE(a_dead_letter_that_cannot_be_written_leaves_the_file_whole) {
  mock::Server server;
  server.set_responder(answering(400));
  const std::string dead = temp_path("dead-enospc.ndjson");
  LogLines logs;
  Fixture f;
  f.write_file = filling_write;
  f.start(parse(config_for(server, {{"dead_letter_file", dead}})), nullptr, logs.hook());
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  {
    DiskFull full;
    for (int i = 2; i <= 6; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
    BOOST_REQUIRE(f.completions.wait_for(6));
    BOOST_TEST(g_half_written.load());
  }
  f.submit(record(7), 7);
  BOOST_REQUIRE(f.completions.wait_for(7));
  f.shutdown(1s);
  std::map<std::uint64_t, Completion> by_token;
  for (const auto& c : f.completions.all()) by_token[c.token] = c;
  BOOST_TEST((by_token[1].outcome == Outcome::dead_lettered));
  BOOST_TEST((by_token[7].outcome == Outcome::dead_lettered));
  for (std::uint64_t token = 2; token <= 6; ++token) {
    BOOST_TEST((by_token[token].outcome == Outcome::failed));
    BOOST_TEST(by_token[token].error == "HTTP 400; dead-letter write failed: No space left on device");
  }
  const auto letters = lines_of(dead);  // every line parses
  BOOST_REQUIRE_EQUAL(letters.size(), 2u);
  BOOST_TEST(letters[0].at("event_id").as_string() == "e-1");
  BOOST_TEST(letters[1].at("event_id").as_string() == "e-7");
  // Five failures within ten seconds: one line says so.
  BOOST_TEST(logs.count(LogLevel::error, "delivery.dead_letter_file: cannot write to '" + dead +
                                             "': No space left on device") == 1u);
}

// With a spool, a record whose dead letter cannot be written is not
// acknowledged: the next instance has it (and its completion says so).
BOOST_AUTO_TEST_CASE(a_dead_letter_that_cannot_be_written_stays_in_the_spool) {
  mock::Server server;
  server.set_responder(answering(400));
  const std::string dead = temp_path("dead-enospc-spool.ndjson"), spool = temp_path("spool-enospc");
  auto config = config_for(server, {{"dead_letter_file", dead}, {"spool", {{"dir", spool}, {"fsync", "off"}}}});
  {
    Fixture f;
    // Not a flag set after submit: the record's answer and its dead letter
    // may come before the submitting thread runs again.
    f.write_file = dead_letters_full_write;
    f.start(parse(config));
    f.submit(record(1), 1);
    BOOST_REQUIRE(f.completions.wait_for(1));
    const auto c = f.completions.all().front();
    BOOST_TEST((c.outcome == Outcome::failed));
    BOOST_TEST(c.error == "HTTP 400; dead-letter write failed: No space left on device; kept in the spool for the next start");
    f.shutdown(1s);
  }
  BOOST_TEST(lines_of(dead).empty());
  Fixture next;
  next.start(parse(config));
  BOOST_REQUIRE(next.completions.wait_for(1));
  BOOST_TEST((next.completions.all().front().outcome == Outcome::dead_lettered));
  BOOST_TEST(next.completions.all().front().token == kRecoveredToken);
  next.shutdown(1s);
  BOOST_TEST(lines_of(dead).size() == 1u);
}

// A last line cut short (a power loss while it was written) is removed when
// the file is opened again, so the next line starts a line.
BOOST_AUTO_TEST_CASE(a_torn_last_line_is_removed_at_start) {
  mock::Server server;
  server.set_responder(answering(400));
  const std::string dead = temp_path("dead-torn.ndjson");
  std::ofstream(dead) << "{\"event_id\":\"whole\"}\n{\"event_id\":\"cut sh";
  LogLines logs;
  Fixture f;
  f.start(parse(config_for(server, {{"dead_letter_file", dead}})), nullptr, logs.hook());
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.shutdown(1s);
  const auto letters = lines_of(dead);
  BOOST_REQUIRE_EQUAL(letters.size(), 2u);
  BOOST_TEST(letters[0].at("event_id").as_string() == "whole");
  BOOST_TEST(letters[1].at("event_id").as_string() == "e-1");
  BOOST_TEST(logs.count(LogLevel::warning, "ended in a line cut short (19 bytes") == 1u);
}

// Dead letters and the delivery log hold records' personal data: 0600.
BOOST_AUTO_TEST_CASE(outcome_files_are_private) {
  mock::Server server;
  server.set_responder(answering(400));
  const std::string dead = temp_path("dead-mode.ndjson"), log = temp_path("log-mode.ndjson");
  Fixture f;
  f.start(parse(config_for(server, {{"dead_letter_file", dead}, {"delivery_log_file", log}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.shutdown(1s);
  for (const auto& path : {dead, log}) {
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u, path << " has mode " << std::oct << (st.st_mode & 0777));
  }
}

// An endpoint that echoes the key across the 1 KiB cut of the excerpt left
// its first characters in the delivery log (redaction ran on the cut text),
// and a key the endpoint echoed in another form (upper-cased, encoded) was
// not redacted at all.
BOOST_AUTO_TEST_CASE(no_form_of_a_secret_survives_in_a_response_excerpt) {
  const std::string key = kApiKey;
  std::string upper = key;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const std::vector<std::string> bodies = {
      std::string(1024 - 19, 'x') + key,          // 19 bytes of the key before the cut
      std::string(1024 - 1, 'x') + key,           // one byte
      "echo: " + upper + " and " + "sk_live_secret-do-not-leak",
      "echo: sk%5Flive%5FSECRET" + std::string("-do-not-leak"),  // not a form templates make: left
  };
  mock::Server server;
  std::atomic<std::size_t> next{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = 400;
    r.body = bodies[next++ % bodies.size()];
    return r;
  });
  const std::string log = temp_path("log-excerpt.ndjson");
  Fixture f;
  f.start(parse(config_for(server, {{"delivery_log_file", log}, {"concurrency", 1}})));
  for (std::size_t i = 0; i < 3; ++i) {
    f.submit(record(static_cast<int>(i)), i);
    BOOST_REQUIRE(f.completions.wait_for(i + 1));
  }
  f.shutdown(1s);
  const auto rows = lines_of(log);
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  for (const auto& row : rows) {
    const std::string response(row.at("response").as_string());
    BOOST_TEST(response.size() <= 1024u);
    BOOST_TEST(response.find("sk_live") == std::string::npos, response.substr(response.size() > 40 ? response.size() - 40 : 0));
    BOOST_TEST(response.find("SK_LIVE") == std::string::npos, response);
  }
  BOOST_TEST(std::string(rows[0].at("response").as_string()) == std::string(1024 - 19, 'x') + "[REDACTED]");
  BOOST_TEST(std::string(rows[1].at("response").as_string()) == std::string(1024 - 1, 'x') + "[");  // cut at 1 KiB
  BOOST_TEST(std::string(rows[2].at("response").as_string()) == "echo: [REDACTED] and [REDACTED]");
}

// The excerpt is JSON text in the delivery log and the dead letter: bytes
// that are not UTF-8 read as U+FFFD, and the cut never splits a character.
BOOST_AUTO_TEST_CASE(a_response_excerpt_is_valid_utf8) {
  const std::vector<std::string> bodies = {"\xff\xfe ok \xc3", std::string(1023, 'a') + "\xc3\xa9" + "tail"};
  mock::Server server;
  std::atomic<std::size_t> next{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = 400;
    r.body = bodies[next++ % bodies.size()];
    return r;
  });
  const std::string log = temp_path("log-utf8.ndjson"), dead = temp_path("dead-utf8.ndjson");
  Fixture f;
  f.start(parse(config_for(server, {{"delivery_log_file", log}, {"dead_letter_file", dead}, {"concurrency", 1}})));
  for (std::uint64_t i = 0; i < 2; ++i) {
    f.submit(record(static_cast<int>(i)), i);
    BOOST_REQUIRE(f.completions.wait_for(i + 1));
  }
  f.shutdown(1s);
  const auto rows = lines_of(log);  // each line parses: valid JSON, so valid UTF-8
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(std::string(rows[0].at("response").as_string()) == "\xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD");
  BOOST_TEST(std::string(rows[1].at("response").as_string()) == std::string(1023, 'a'));
  BOOST_TEST(lines_of(dead).size() == 2u);
}

// An event_id with a newline or an escape sequence forged log lines: every
// line the step logs is one line, its control characters escaped.
BOOST_AUTO_TEST_CASE(a_log_line_stays_one_line) {
  mock::Server server;
  server.set_responder(answering(400));
  LogLines logs;
  Fixture f;
  f.start(parse(config_for(server)), nullptr, logs.hook());
  f.submit(R"({"event_id": "e-1\n[error] forged line\u001b[2J\u009b31m", "profile": {"id": "u1"}})", 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.shutdown(1s);
  bool seen = false;
  for (const auto& [level, message] : logs.get()) {
    BOOST_TEST(message.find_first_of("\n\r\x1b") == std::string::npos, message);
    BOOST_TEST(message.find("\xc2\x9b") == std::string::npos, message);
    if (message.find("record e-1\\n[error] forged line\\x1b[2J\\u009b31m not delivered") == 0) seen = true;
  }
  BOOST_TEST(seen);
}

BOOST_AUTO_TEST_SUITE_END()
