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

#include "support/raw_connection.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

extern char** environ;

namespace json = boost::json;
namespace ts = test_support;
namespace fs = std::filesystem;

namespace {

fs::path work_dir() { return test_support::scratch_dir("webhook-mock-process"); }

// How the process starts: its stderr into a file, its descriptors limited.
struct Spawn {
  std::string stderr_path;  // empty: the test's stderr
  rlim_t max_files = 0;     // RLIMIT_NOFILE, soft and hard; 0: inherited
};

// Starts webhook-mock with `arguments`; reads its first stdout line.
struct MockProcess {
  pid_t pid = -1;
  std::string first_line;
  std::string base_url;

  explicit MockProcess(std::vector<std::string> arguments, const Spawn& spawn = {}) {
    int pipe_fds[2];
    BOOST_REQUIRE(::pipe(pipe_fds) == 0);
    std::vector<std::string> all{WEBHOOK_MOCK};
    all.insert(all.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {  // the child: only async-signal-safe calls until exec
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      if (!spawn.stderr_path.empty()) {
        int err = ::open(spawn.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) ::dup2(err, STDERR_FILENO);
      }
      if (spawn.max_files > 0) {
        rlimit files{spawn.max_files, spawn.max_files};
        ::setrlimit(RLIMIT_NOFILE, &files);
      }
      ::execve(WEBHOOK_MOCK, argv.data(), environ);
      ::_exit(127);
    }
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

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every bad argument exits 2 with a message naming it, before listening.
// --journal-limit -1 meant unlimited, a stray argument was ignored (the
// server started on 8080), --bind 999.1.1.1 exited 1.
BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_naming_them) {
  const fs::path err = work_dir() / "arguments.err";
  for (const auto& [arguments, named] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--port", "70000"}, "--port: '70000'"},
           {{"--port", "0", "--journal-limit", "-1"}, "--journal-limit: '-1'"},
           {{"--port", "0", "--bind", "999.1.1.1"}, "--bind: '999.1.1.1' is not an IP address"},
           {{"--port", "0", "stray"}, "unexpected argument 'stray'"},
           {{"--port", "0", "--threads", "0"}, "--threads: '0'"},
           {{"--port", "0", "--nope"}, "unknown option '--nope'"},
           {{"--port", "0", "--record-to", "/nonexistent/dir/j.ndjson"}, "--record-to: cannot open"},
       }) {
    MockProcess mock(arguments, Spawn{err.string(), 0});
    BOOST_TEST(mock.first_line.empty(), named);
    int status = mock.signal_and_wait(0);
    BOOST_TEST(WEXITSTATUS(status) == 2, named);
    std::string message = read_all(err);
    BOOST_TEST(message.starts_with("webhook-mock: " + named), message);
  }
}

BOOST_AUTO_TEST_CASE(bind_resolves_a_host_name) {
  MockProcess mock({"--port", "0", "--bind", "localhost"});
  BOOST_TEST((mock.first_line.starts_with("listening on http://127.0.0.1:") ||
              mock.first_line.starts_with("listening on http://[::1]:")),
             mock.first_line);
  BOOST_TEST(ts::get(mock.base_url, "/x").status == 200);
}

BOOST_AUTO_TEST_CASE(version_and_help) {
  MockProcess version({"--version"});
  BOOST_TEST(version.first_line == std::string("webhook-mock ") + WEBHOOK_MOCK_VERSION);
  BOOST_TEST(WEXITSTATUS(version.signal_and_wait(0)) == 0);
  MockProcess help({"--help"});
  BOOST_TEST(help.first_line.starts_with("usage: webhook-mock "), help.first_line);
  BOOST_TEST(WEXITSTATUS(help.signal_and_wait(0)) == 0);
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

namespace {

// CPU time (user + system) the process has used, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t lines_containing(const fs::path& file, std::string_view text) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos ? 1 : 0;
  return n;
}

}  // namespace

// Out of file descriptors, accept(2) fails at once for as long as a
// connection waits: webhook-mock spun at 50-70 % of a core, silently. It
// pauses accepting instead, says so once, and serves again once
// descriptors are free.
BOOST_AUTO_TEST_CASE(out_of_file_descriptors_backs_off_and_recovers) {
  using namespace std::chrono_literals;
  const fs::path log = work_dir() / "emfile.err";
  MockProcess mock({"--port", "0", "--threads", "2"}, Spawn{log.string(), 48});
  BOOST_REQUIRE_MESSAGE(!mock.base_url.empty(), mock.first_line);
  const std::uint16_t port = port_of(mock.base_url);
  std::vector<std::unique_ptr<ts::RawConnection>> held;
  for (int i = 0; i < 80; ++i) {  // more than it has descriptors for: the rest wait in the backlog
    held.push_back(std::make_unique<ts::RawConnection>(port));
    BOOST_REQUIRE(held.back()->ok());
  }
  std::this_thread::sleep_for(300ms);
  const double before = cpu_seconds(mock.pid);
  std::this_thread::sleep_for(1s);
  const double used = cpu_seconds(mock.pid) - before;
  BOOST_TEST_MESSAGE("CPU while out of descriptors: " << used * 100 << " % of a core");
  BOOST_TEST(used < 0.10);
  BOOST_TEST(lines_containing(log, "cannot accept connections") == 1u);

  held.clear();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = ts::get(mock.base_url, "/after").status;
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(status == 200);
  std::this_thread::sleep_for(1100ms);  // recovered: a second of accepting without a refusal
  BOOST_TEST(ts::get(mock.base_url, "/calm").status == 200);
  BOOST_TEST(lines_containing(log, "accepting connections again, after ") == 1u);
  BOOST_TEST(lines_containing(log, "cannot accept connections") == 1u);  // once per episode
}
