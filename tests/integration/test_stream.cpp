// `journey-sim stream` as a user runs it: the real executable, the real
// module, a real receiver on loopback; checks the summary line, the
// outcomes file and the exit status.
#define BOOST_TEST_MODULE integration_stream
#include "support/scratch_dir.hpp"
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

namespace json = boost::json;
namespace mock = webhook_mock;
namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string out;
  std::string err;
  std::string last_line() const {
    std::string text = out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto pos = text.rfind('\n');
    return pos == std::string::npos ? text : text.substr(pos + 1);
  }
};

fs::path work_dir() { return test_support::scratch_dir("journey-sim-stream"); }

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

Run run(const std::string& arguments) {
  fs::path dir = work_dir();
  std::string command = std::string(JOURNEY_SIM) + " " + arguments + " >" + (dir / "stdout").string() + " 2>" +
                        (dir / "stderr").string();
  Run r;
  int raw = std::system(command.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir / "stdout");
  r.err = slurp(dir / "stderr");
  return r;
}

std::string config_for(const mock::Server& server) {
  return R"({"auth": {"type": "td_webhook_out", "url_prefix": ")" + server.base_url() +
         R"(/", "api_key": "stream-secret"},
             "activation": {"name": "stream", "url": ")" + server.base_url() +
         R"(/in/{{profile.id}}", "headers": {"Authorization": "Bearer {{auth.api_key}}"},
                            "body": "{\"e\": \"{{event.name}}\"}"},
             "advanced": {"webhook_retry_count": 1},
             "delivery": {"retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}}})";
}

std::string records(int n, int first = 0) {
  std::string text;
  for (int i = first; i < first + n; ++i) {
    text += R"({"event_id": "s-)" + std::to_string(i) + R"(", "profile": {"id": "p)" + std::to_string(i) +
            R"("}, "event": {"name": "signup"}})" + "\n";
  }
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_record_delivered_exit_0) {
  mock::Server server;
  fs::path dir = work_dir();
  write(dir / "config.json", config_for(server));
  write(dir / "in.ndjson", records(500) + "\n");  // a blank line is skipped
  Run r = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " + (dir / "config.json").string() +
              " --input " + (dir / "in.ndjson").string() + " --outcomes " + (dir / "outcomes.ndjson").string());
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(r.last_line() == R"({"submitted":500,"delivered":500,"failed":0,"dead_lettered":0})");
  BOOST_TEST(server.total_received() == 500u);
  std::istringstream outcomes(slurp(dir / "outcomes.ndjson"));
  int lines = 0;
  for (std::string line; std::getline(outcomes, line); ++lines) {
    auto o = json::parse(line).as_object();
    BOOST_TEST(o.at("outcome").as_string() == "delivered");
    BOOST_TEST(o.at("http_status").to_number<int>() == 200);
    BOOST_TEST(o.at("event_id").as_string().starts_with("s-"));
  }
  BOOST_TEST(lines == 500);
  BOOST_TEST(r.err.find("stream-secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(stdin_input_and_failures_exit_1) {
  mock::Server server;
  server.set_responder([](const mock::RecordedRequest& request) {
    mock::Response response;
    if (request.path == "/in/p3") response.status = 404;
    return response;
  });
  fs::path dir = work_dir();
  write(dir / "config.json", config_for(server));
  write(dir / "in.ndjson", records(5));
  Run r = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " + (dir / "config.json").string() +
              " < " + (dir / "in.ndjson").string());
  BOOST_TEST(r.status == 1, r.err);
  BOOST_TEST(r.last_line() == R"({"submitted":5,"delivered":4,"failed":1,"dead_lettered":0})");
}

BOOST_AUTO_TEST_CASE(invalid_config_exits_2_with_every_error) {
  fs::path dir = work_dir();
  write(dir / "bad.json", R"({"auth": {"url_prefix": "https://a.example/v1/"},
                              "activation": {"method": "TRACE", "url": "https://b.example/v1/x"}})");
  Run r = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " + (dir / "bad.json").string() +
              " --input /dev/null");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("activation.method") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("activation.url") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(invalid_input_line_exits_2_and_names_the_line) {
  mock::Server server;
  fs::path dir = work_dir();
  write(dir / "config.json", config_for(server));
  write(dir / "in.ndjson", records(2) + "{not json\n" + records(1, 2));
  Run r = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " + (dir / "config.json").string() +
              " --input " + (dir / "in.ndjson").string());
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("input line 3") != std::string::npos, r.err);
  BOOST_TEST(r.last_line() == R"({"submitted":3,"delivered":3,"failed":0,"dead_lettered":0})");
}

BOOST_AUTO_TEST_CASE(not_a_plugin_exits_2) {
  fs::path dir = work_dir();
  write(dir / "config.json", "{}");
  Run r = run("stream --plugin /bin/true --config " + (dir / "config.json").string());
  BOOST_TEST(r.status == 2);
  BOOST_TEST(!r.err.empty());
  Run missing = run("stream --config x");
  BOOST_TEST(missing.status == 2);
  BOOST_TEST(missing.err.find("--plugin") != std::string::npos, missing.err);
  Run help = run("stream --help");
  BOOST_TEST(help.status == 0);
  BOOST_TEST(help.out.find("--outcomes") != std::string::npos);
}

// More than can be held in memory is refused with exit 2, not attempted
// (it aborted on std::bad_alloc).
BOOST_AUTO_TEST_CASE(generate_refuses_counts_beyond_its_bound) {
  for (const char* arguments : {"generate --profiles 100000000000000 --events 10",
                                "generate --profiles 10 --events 100000000000000"}) {
    Run r = run(arguments);
    BOOST_TEST(r.status == 2, arguments);
    BOOST_TEST(r.err.find("at most 20000000") != std::string::npos, r.err);
    BOOST_TEST(r.out.empty());
  }
  Run small = run("generate --profiles 3 --events 5");
  BOOST_TEST(small.status == 0);
  BOOST_TEST(std::count(small.out.begin(), small.out.end(), '\n') == 5);
}

// A span beyond 100 years is refused (it overflowed int64 and was taken as
// some other span).
BOOST_AUTO_TEST_CASE(generate_refuses_a_span_beyond_100_years) {
  for (const char* span : {"999999999999w", "36526d"}) {
    Run r = run(std::string("generate --profiles 3 --events 5 --span ") + span);
    BOOST_TEST(r.status == 2, span);
    BOOST_TEST(r.err.find("--span is at most 100 years (36525d), not '" + std::string(span) + "'") != std::string::npos,
               r.err);
    BOOST_TEST(r.out.empty());
  }
  Run longest = run("generate --profiles 3 --events 5 --span 36525d");
  BOOST_TEST(longest.status == 0, longest.err);
  BOOST_TEST(std::count(longest.out.begin(), longest.out.end(), '\n') == 5);
}

BOOST_AUTO_TEST_CASE(run_against_an_external_endpoint) {
  // The scenario's mappings go to the endpoint over its admin API, and the
  // expectations are checked on what its journal returns.
  mock::Server external;
  std::string scenario = std::string(SCENARIOS_DIR) + "/recovery.json";
  Run r = run("run " + scenario + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --endpoint " + external.base_url());
  BOOST_TEST(r.status == 0, r.out << r.err);
  BOOST_TEST(external.total_received() == 7u);  // 3 + 2 + 2 attempts
  BOOST_TEST(external.stubs().size() == 7u);

  Run refused = run("run " + scenario + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --endpoint http://127.0.0.1:1");
  BOOST_TEST(refused.status == 2);
  BOOST_TEST(refused.out.find("POST /__admin/reset") != std::string::npos, refused.out);
  Run bad = run("run " + scenario + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --endpoint ftp://x");
  BOOST_TEST(bad.status == 2);
}

BOOST_AUTO_TEST_CASE(replay_dead_letters_under_their_first_webhook_id) {
  mock::Server server;
  std::atomic<bool> broken{true};
  server.set_responder([&](const mock::RecordedRequest& request) {
    mock::Response response;
    if (broken && request.path != "/in/p0") response.status = 400;  // p0 always works
    return response;
  });
  fs::path dir = work_dir();
  std::string letters = (dir / "dead.ndjson").string();
  fs::remove(letters);
  std::string config = config_for(server);
  config.replace(config.rfind("}}"), 2, R"(, "dead_letter_file": ")" + letters + "\"}}");
  write(dir / "replay-config.json", config);
  write(dir / "in.ndjson", records(4) + R"({"profile": {"id": "p9"}, "event": {"name": "no-id"}})" + "\n");
  Run first = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " +
                  (dir / "replay-config.json").string() + " --input " + (dir / "in.ndjson").string());
  BOOST_TEST(first.last_line() == R"({"submitted":5,"delivered":1,"failed":0,"dead_lettered":4})");
  std::map<std::string, std::string> first_ids;  // path -> webhook-id
  for (const auto& r : server.requests()) first_ids[r.path] = r.header("webhook-id");

  // The endpoint is fixed; replay the letters whose last answer was a 400.
  broken = false;
  server.clear_journal();
  Run replay = run("replay " + letters + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --config " +
                   (dir / "replay-config.json").string() + " --status 400");
  BOOST_TEST(replay.status == 0, replay.out << replay.err);
  BOOST_TEST(replay.last_line() == R"({"submitted":4,"delivered":4,"failed":0,"dead_lettered":0})");
  for (const auto& r : server.requests()) {
    BOOST_TEST(r.header("webhook-id") == first_ids[r.path], r.path);  // the same id, random ones too
  }
  std::ifstream left(letters);
  std::string rest((std::istreambuf_iterator<char>(left)), std::istreambuf_iterator<char>());
  BOOST_TEST(rest.empty(), rest);  // delivered letters leave the file

  Run none = run("replay " + letters + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --config " +
                 (dir / "replay-config.json").string() + " --since yesterday");
  BOOST_TEST(none.status == 2);

  // A directory is no configuration: refused with the reason, not read as empty.
  Run directory = run("replay " + letters + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --config " + dir.string());
  BOOST_TEST(directory.status == 2);
  BOOST_TEST(directory.err.find("cannot read --config '" + dir.string() + "': Is a directory") != std::string::npos,
             directory.err);
}

// An activation disabled by a 410 Gone (delivery.disable_on_410) leaves
// every record in the dead letters; once the endpoint is back, they replay.
BOOST_AUTO_TEST_CASE(replay_of_410_dead_letters) {
  mock::Server server;
  std::atomic<bool> gone{true};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response response;
    if (gone) response.status = 410;
    return response;
  });
  fs::path dir = work_dir();
  std::string letters = (dir / "gone.ndjson").string();
  fs::remove(letters);
  std::string config = config_for(server);
  config.replace(config.rfind("}}"), 2, R"(, "disable_on_410": true, "dead_letter_file": ")" + letters + "\"}}");
  write(dir / "gone-config.json", config);
  write(dir / "in.ndjson", records(5));
  Run first = run(std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " +
                  (dir / "gone-config.json").string() + " --input " + (dir / "in.ndjson").string());
  BOOST_TEST(first.last_line() == R"({"submitted":5,"delivered":0,"failed":0,"dead_lettered":5})", first.out << first.err);
  std::ifstream in(letters);
  int gone_letters = 0;
  for (std::string line; std::getline(in, line);) {
    gone_letters += line.find(R"("error":"endpoint answered 410 Gone: activation disabled")") != std::string::npos;
  }
  BOOST_TEST(gone_letters == 5);

  gone = false;
  server.clear_journal();
  Run replay = run("replay " + letters + " --plugin " + WEBHOOK_OUTPUT_MODULE + " --config " +
                   (dir / "gone-config.json").string());
  BOOST_TEST(replay.status == 0, replay.out << replay.err);
  BOOST_TEST(replay.last_line() == R"({"submitted":5,"delivered":5,"failed":0,"dead_lettered":0})");
  BOOST_TEST(server.requests().size() == 5u);
}

// Records a damaged spool hid were told only as a warning, and the restart
// exited 0: the summary line counts them ("unreadable") and the exit is 1.
BOOST_AUTO_TEST_CASE(records_a_damaged_spool_hid_make_the_restart_exit_1) {
  mock::Server server;
  std::atomic<bool> down{true};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response response;
    response.status = down ? 503 : 200;
    return response;
  });
  fs::path dir = work_dir();
  const fs::path spool = dir / "spool-damaged";
  std::string config = config_for(server);
  const std::string delivery = R"("delivery": {"retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}})";
  config.replace(config.find(delivery), delivery.size(),
                 R"("delivery": {"retry": {"initial_backoff_ms": 60000, "max_backoff_ms": 60000},
                                 "spool": {"dir": ")" + spool.string() + R"(", "fsync": "always"}})");
  write(dir / "config-spool.json", config);
  write(dir / "in-spool.ndjson", records(20));
  const std::string command = std::string("stream --plugin ") + WEBHOOK_OUTPUT_MODULE + " --config " +
                              (dir / "config-spool.json").string();
  Run first = run(command + " --input " + (dir / "in-spool.ndjson").string() + " --deadline 0.3");
  BOOST_TEST(first.status == 1, first.err);  // nothing delivered: all 20 kept in the spool
  // Zeros over the entries of s-5 to s-9.
  fs::path segment;
  for (const auto& entry : fs::directory_iterator(spool)) {
    if (entry.path().filename().string().starts_with("segment-") && fs::file_size(entry) > 0) segment = entry;
  }
  std::string data = slurp(segment);
  const auto start = data.rfind("msg_", data.find("\"s-5\"")) - 21, end = data.rfind("msg_", data.find("\"s-10\"")) - 21;
  std::fill(data.begin() + static_cast<std::ptrdiff_t>(start), data.begin() + static_cast<std::ptrdiff_t>(end), '\0');
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << data;
  down = false;
  Run restart = run(command + " --input /dev/null");
  BOOST_TEST(restart.status == 1, restart.err);
  BOOST_TEST(restart.last_line() == R"({"submitted":15,"delivered":15,"failed":0,"dead_lettered":0,"unreadable":5})");
  BOOST_TEST(restart.err.find("spool: 5 accepted records are unreadable") != std::string::npos, restart.err);
}
