#include "output_runner/publish.hpp"

#include <boost/json/parse.hpp>

#include <istream>
#include <ostream>

namespace output_runner {

namespace {

// Sends the queued XADDs; false (and the reason on `err`) when Redis failed.
bool send(RedisConnection& redis, std::vector<resp::Command>& queued, std::uint64_t& published, std::ostream& err) {
  if (queued.empty()) return true;
  std::vector<resp::Reply> replies;
  std::string error;
  if (!redis.exchange(queued, replies, error)) {
    err << "output-runner publish: " << error << "\n";
    return false;
  }
  for (const auto& reply : replies) {
    if (reply.is_error()) {
      err << "output-runner publish: XADD refused by Redis: " << reply.text << "\n";
      return false;
    }
    ++published;
  }
  queued.clear();
  return true;
}

}  // namespace

int run_publish(const PublishOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  RedisConnection redis(options.redis);
  std::string error;
  if (!redis.connect(error)) {
    err << "output-runner publish: " << error << "\n";
    out << "{\"published\":0}" << std::endl;
    return 1;
  }
  std::vector<resp::Command> queued;
  std::uint64_t published = 0, line_number = 0, invalid = 0;
  bool ok = true;
  for (std::string line; ok && std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    const boost::json::value record = boost::json::parse(line, ec);
    if (ec || !record.is_object()) {
      err << "input line " << line_number << ": "
          << (ec ? "not valid JSON: " + ec.message() : std::string("a record must be a JSON object"))
          << "; not published\n";
      ++invalid;
      continue;
    }
    resp::Command add{"XADD", options.stream, "*", "record", std::move(line)};
    if (!options.activation.empty()) add.insert(add.end(), {"activation", options.activation});
    queued.push_back(std::move(add));
    if (queued.size() >= options.pipeline) ok = send(redis, queued, published, err);
  }
  ok = ok && send(redis, queued, published, err);
  out << "{\"published\":" << published << "}" << std::endl;
  if (!ok) return 1;
  return invalid > 0 ? 2 : 0;
}

}  // namespace output_runner
