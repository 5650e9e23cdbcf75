// The webhook-mock executable as scripts use it: the "listening on" line,
// --port 0, --record-to surviving kill -9, --mappings, 1,000 concurrent
// keep-alive connections, clean shutdown on SIGTERM.
#define BOOST_TEST_MODULE integration_webhook_mock_process
#include "support/http_client.hpp"
#include "support/scratch_dir.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace json = boost::json;
namespace ts = test_support;
namespace fs = std::filesystem;

namespace {

fs::path work_dir() { return test_support::scratch_dir("webhook-mock-process"); }

// Starts webhook-mock with `arguments`; reads its first stdout line.
struct MockProcess {
  pid_t pid = -1;
  std::string first_line;
  std::string base_url;

  explicit MockProcess(std::vector<std::string> arguments) {
    int pipe_fds[2];
    BOOST_REQUIRE(::pipe(pipe_fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::vector<std::string> all{WEBHOOK_MOCK};
    all.insert(all.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    BOOST_REQUIRE(posix_spawn(&pid, WEBHOOK_MOCK, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    char c = 0;
    while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') first_line += c;
    ::close(pipe_fds[0]);
    if (first_line.starts_with("listening on ")) base_url = first_line.substr(13);
  }
  int signal_and_wait(int sig) {
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~MockProcess() {
    if (pid > 0) signal_and_wait(SIGKILL);
  }
};

std::uint16_t port_of(const std::string& base_url) {
  return static_cast<std::uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(listening_line_and_clean_shutdown) {
  MockProcess mock({"--port", "0"});
  BOOST_TEST(mock.first_line.starts_with("listening on http://127.0.0.1:"), mock.first_line);
  BOOST_TEST(port_of(mock.base_url) > 0);
  BOOST_TEST(ts::get(mock.base_url, "/x").status == 200);
  int status = mock.signal_and_wait(SIGTERM);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(bad_options_exit_2) {
  MockProcess mock({"--port", "70000"});
  BOOST_TEST(mock.first_line.empty());
  int status = mock.signal_and_wait(0);
  BOOST_TEST(WEXITSTATUS(status) == 2);
}

BOOST_AUTO_TEST_CASE(record_to_survives_kill_9) {
  fs::path file = work_dir() / "journal.ndjson";
  fs::remove(file);
  MockProcess mock({"--port", "0", "--record-to", file.string()});
  const int n = 300;
  for (int i = 0; i < n; ++i) {
    auto r = ts::post(mock.base_url, "/k/" + std::to_string(i), R"({"i": )" + std::to_string(i) + "}");
    BOOST_REQUIRE_EQUAL(r.status, 200);
  }
  mock.signal_and_wait(SIGKILL);
  std::ifstream in(file);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto event = json::parse(line).as_object();
    BOOST_TEST(event.at("request").as_object().at("url").as_string() == "/k/" + std::to_string(lines));
  }
  BOOST_TEST(lines == n);  // every answered request is in the file
}

// A request whose bytes are not UTF-8 still records as a line of JSON.
BOOST_AUTO_TEST_CASE(record_to_writes_json_whatever_the_request_bytes) {
  fs::path file = work_dir() / "latin1.ndjson";
  fs::remove(file);
  MockProcess mock({"--port", "0", "--record-to", file.string()});
  ts::raw_exchange(port_of(mock.base_url), std::string("POST /caf%E9 HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\n"
                                                       "Content-Length: 2\r\nConnection: close\r\n\r\nhi"));
  BOOST_REQUIRE_EQUAL(ts::get(mock.base_url, "/after").status, 200);
  mock.signal_and_wait(SIGKILL);
  std::ifstream in(file);
  std::string line;
  BOOST_REQUIRE(std::getline(in, line));
  boost::system::error_code ec;
  json::value event = json::parse(line, ec);
  BOOST_REQUIRE_MESSAGE(!ec, "not JSON: " << line);
  BOOST_TEST(event.at("request").at("headers").at("X-Name").as_string() == "caf\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(mappings_loaded_from_a_directory) {
  fs::path dir = work_dir() / "mappings";
  fs::create_directories(dir);
  std::ofstream(dir / "a.json") << R"({"request": {"urlPath": "/a"}, "response": {"status": 201}})";
  std::ofstream(dir / "b.json") << R"({"mappings": [{"request": {"urlPath": "/b"}, "response": {"status": 202}},
                                                     {"request": {"urlPath": "/c"}, "response": {"status": 203}}]})";
  MockProcess mock({"--port", "0", "--mappings", dir.string()});
  BOOST_TEST(ts::get(mock.base_url, "/a").status == 201);
  BOOST_TEST(ts::get(mock.base_url, "/b").status == 202);
  BOOST_TEST(ts::get(mock.base_url, "/c").status == 203);
  BOOST_TEST(ts::post(mock.base_url, "/__admin/reset", "").status == 200);
  BOOST_TEST(ts::get(mock.base_url, "/c").status == 203);  // reset keeps the loaded stubs

  std::ofstream(dir / "broken.json") << R"({"request": {"urlPath": "/d"}, "response": {"status": "x"}})";
  MockProcess broken({"--port", "0", "--mappings", dir.string()});
  BOOST_TEST(broken.first_line.empty());
  BOOST_TEST(WEXITSTATUS(broken.signal_and_wait(0)) == 2);
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_keep_alive_connections) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  MockProcess mock({"--port", "0", "--threads", "2"});
  namespace asio = boost::asio;
  asio::io_context io;
  const std::uint16_t port = port_of(mock.base_url);
  std::vector<asio::ip::tcp::socket> sockets;
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    sockets.emplace_back(io);
    sockets.back().connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // Every connection sends a request and gets its answer, all held open at once.
  const std::string request = "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
  for (auto& s : sockets) asio::write(s, asio::buffer(request));
  int answered = 0;
  for (auto& s : sockets) {
    asio::streambuf buffer;
    asio::read_until(s, buffer, "\r\n\r\n");
    std::string head(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
    answered += head.starts_with("HTTP/1.1 200") ? 1 : 0;
  }
  BOOST_TEST(answered == n);
  auto count = ts::post(mock.base_url, "/__admin/requests/count", R"({"url": "/c"})");
  BOOST_TEST(json::parse(count.body).as_object().at("count").as_int64() == n);
}

BOOST_AUTO_TEST_CASE(https_with_a_generated_ca_written_for_the_client) {
  fs::path ca = work_dir() / "ca.pem";
  fs::remove(ca);
  MockProcess mock({"--port", "0", "--https", "--write-ca", ca.string()});
  BOOST_TEST(mock.first_line.starts_with("listening on https://127.0.0.1:"), mock.first_line);
  std::ifstream in(ca);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_REQUIRE(pem.starts_with("-----BEGIN CERTIFICATE-----"));
  auto r = ts::send(mock.base_url, {"POST", "/secure", "{}", {}}, pem);
  BOOST_TEST(r.status == 200, r.error);
  MockProcess plain({"--port", "0", "--write-ca", ca.string()});  // --write-ca needs a generated CA
  BOOST_TEST(WEXITSTATUS(plain.signal_and_wait(0)) == 2);
}
