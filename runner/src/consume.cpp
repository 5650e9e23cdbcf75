#include "output_runner/consume.hpp"

#include "output_runner/activations.hpp"
#include "output_runner/consumer_group.hpp"
#include "output_runner/metrics.hpp"
#include "output_runner/metrics_server.hpp"

#include <webhook_common/log_text.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <ostream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace output_runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string entry_webhook_id(const std::string& stream, const std::string& entry_id) {
  const std::string input = stream + "\n" + entry_id;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "msg_";
  for (int i = 0; i < 16; ++i) out += hex[digest[i] >> 4], out += hex[digest[i] & 15];
  return out;
}

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

// An entry this runner works on: read (or claimed), then accepted by its step.
struct Held {
  StreamEntry entry;
  std::size_t activation = 0;
  std::string record;  // as submitted
  std::string event_id;
  Clock::time_point read_at;
};

// The record to submit for an entry, or the reason it cannot be one.
bool prepare_record(const std::string& stream, Held& held, std::string& reason) {
  unsigned char buffer[4096];
  json::monotonic_resource memory(buffer, sizeof buffer);  // no malloc for a small record
  boost::system::error_code ec;
  json::value record = json::parse(held.entry.record, ec, &memory);
  if (ec) return reason = "field 'record' is not valid JSON: " + ec.message(), false;
  if (!record.is_object()) return reason = "field 'record' is not a JSON object", false;
  auto& object = record.get_object();
  if (const auto* id = object.if_contains("event_id")) {
    held.event_id = id->is_string() ? std::string(id->get_string()) : json::serialize(*id);
    held.record = std::move(held.entry.record);
  } else if (object.contains("webhook_id")) {
    held.record = std::move(held.entry.record);
  } else {
    // Without an event_id the step would make up an id per delivery: the
    // entry's own keeps a redelivered entry's webhook-id.
    object["webhook_id"] = entry_webhook_id(stream, held.entry.id);
    held.record = json::serialize(record);
  }
  held.entry.record.clear();
  return true;
}

class Consumer {
 public:
  Consumer(const ConsumeOptions& options, std::ostream& out, std::ostream& err)
      : options_(options),
        out_(out),
        err_(err),
        activations_("output-runner", err, options.io_threads),
        redis_(options.redis),
        group_(redis_, options.stream, options.group, options.consumer) {}

  int run();

 private:
  bool start();
  bool connect();
  void lost(const std::string& error);
  bool recover_own(std::string& error);
  void loop();
  void tick();
  void read_batch();
  // `known`: the ids this runner holds, for entries that may be among them
  // (its own history, claims); a new entry (">") is never.
  void admit(StreamEntry entry, const std::unordered_set<std::string>* known = nullptr);
  std::vector<std::string> held_ids() const;
  void poison(StreamEntry entry, std::string reason);
  void submit_backlog();
  void refuse_front(output_step_status_t status);
  void settle(milliseconds wait);
  void settle_one(const Completion& c);
  bool flush_redis();
  bool flush_redis(std::string& error);
  void refresh_held();
  void claim_idle();
  void shutdown();
  int report();
  void log(const std::string& line);

  const ConsumeOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  Activations activations_;
  RedisConnection redis_;
  ConsumerGroup group_;
  RunnerMetrics metrics_;
  MetricsServer metrics_server_;
  OutcomeFile outcomes_;

  std::unordered_map<std::uint64_t, Held> in_flight_;  // by token
  std::deque<Held> backlog_;                           // read, not yet accepted (busy)
  std::vector<std::string> to_ack_;
  std::vector<std::pair<StreamEntry, std::string>> to_dead_;
  // Reused from batch to batch (no allocation per batch once grown).
  std::vector<Completion> completed_;
  std::vector<output_step_record_t> submitting_;
  std::vector<StreamEntry> read_;
  std::uint64_t next_token_ = 1;
  std::uint64_t consumed_ = 0, delivered_ = 0, failed_ = 0, dead_lettered_ = 0, claimed_ = 0;
  bool outage_ = false;
  Clock::time_point last_refresh_{}, last_claim_{}, last_info_{}, last_trim_{};
  bool acked_since_trim_ = false;
};

int Consumer::run() {
  if (!start()) return 2;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  if (connect()) loop();
  shutdown();
  return report();
}

bool Consumer::start() {
  if (!activations_.start(options_.plugin, options_.configs, !options_.outcomes.empty())) return false;
  metrics_.stream = options_.stream, metrics_.group = options_.group, metrics_.consumer = options_.consumer;
  for (std::size_t i = 0; i < activations_.size(); ++i) {
    auto& m = metrics_.activations.emplace_back();
    m.name = activations_[i].name;
    m.step = activations_[i].step;
  }
  if (!options_.outcomes.empty()) {
    if (!outcomes_.open(options_.outcomes, /*append=*/true)) {
      err_ << "output-runner: cannot write --outcomes '" << options_.outcomes << "': " << std::strerror(errno) << "\n";
      return false;
    }
  }
  if (options_.metrics_port >= 0) {
    std::string error;
    if (!metrics_server_.start(static_cast<std::uint16_t>(options_.metrics_port), [this] { return metrics_.render(); },
                               error)) {
      err_ << "output-runner: " << error << "\n";
      return false;
    }
    log("output-runner: metrics at http://127.0.0.1:" + std::to_string(metrics_server_.port()) + "/metrics");
  }
  return true;
}

// One line, control characters escaped: an entry's own text (an activation
// name) cannot forge log lines.
void Consumer::log(const std::string& line) {
  const std::string text = webhook_common::printable(line);
  activations_.size() > 0 ? activations_[0].host->write_line(text) : void(err_ << text << std::endl);
}

// Connects, makes sure the group exists and takes back this consumer's own
// pending entries; with backoff (0.1 s doubling to 5 s) until it works or a
// signal stops the runner.
bool Consumer::connect() {
  milliseconds backoff(100);
  while (!g_stop.load()) {
    std::string error;
    // The acknowledgements the outage held back go before this consumer's
    // history is read again: an entry completed meanwhile is not taken on twice.
    if (redis_.connect(error) && group_.create(error) && flush_redis(error) && recover_own(error)) {
      if (outage_) log("output-runner: reconnected to " + options_.redis.url.text());
      outage_ = false;
      refresh_held();
      return true;
    }
    redis_.close();
    if (!outage_) log("output-runner: redis: " + error + "; retrying with backoff");
    outage_ = true;
    for (auto until = Clock::now() + backoff; Clock::now() < until && !g_stop.load();) {
      settle(milliseconds(20));
    }
    backoff = std::min(backoff * 2, milliseconds(5000));
  }
  return false;
}

void Consumer::lost(const std::string& error) {
  log("output-runner: redis: " + error + "; reconnecting");
  outage_ = true;
  redis_.close();
}

bool Consumer::recover_own(std::string& error) {
  const std::vector<std::string> ids = held_ids();
  const std::unordered_set<std::string> held(ids.begin(), ids.end());
  std::string cursor = "0";
  for (;;) {
    std::vector<StreamEntry> entries;
    if (!group_.read_own(cursor, options_.batch, entries, error)) return false;
    if (entries.empty()) return true;
    for (auto& e : entries) admit(std::move(e), &held);
  }
}

// Every entry this runner holds: read and not yet accepted, in flight, or
// completed and waiting for its acknowledgement (never taken on twice).
std::vector<std::string> Consumer::held_ids() const {
  std::vector<std::string> ids(to_ack_);
  for (const auto& h : backlog_) ids.push_back(h.entry.id);
  for (const auto& [token, h] : in_flight_) ids.push_back(h.entry.id);
  return ids;
}

void Consumer::loop() {
  while (!g_stop.load()) {
    if (!redis_.connected() && !connect()) return;
    settle(milliseconds(0));
    // Acknowledgements ride with the next read; alone only when there are
    // many, or dead entries, or no read comes next.
    if ((!to_dead_.empty() || to_ack_.size() > 1000 || !backlog_.empty()) && !flush_redis()) continue;
    tick();
    if (!redis_.connected()) continue;
    submit_backlog();
    if (!backlog_.empty()) {
      settle(milliseconds(20));  // back-pressure: the steps are full
      continue;
    }
    read_batch();
  }
}

void Consumer::tick() {
  const auto now = Clock::now();
  const milliseconds third(std::max<std::int64_t>(options_.claim_idle_ms / 3, 10));
  if (now - last_refresh_ >= third) refresh_held();
  if (redis_.connected() && now - last_claim_ >= std::min(third, milliseconds(1000)) && backlog_.empty()) claim_idle();
  if (redis_.connected() && options_.trim && acked_since_trim_ && now - last_trim_ >= milliseconds(1000)) {
    std::int64_t trimmed = 0;
    std::string error;
    if (!group_.trim(trimmed, error)) return lost(error);
    last_trim_ = now, acked_since_trim_ = false;
  }
  if (redis_.connected() && options_.metrics_port >= 0 && now - last_info_ >= milliseconds(1000)) {
    GroupInfo info;
    std::string error;
    if (!group_.info(info, error)) return lost(error);
    metrics_.lag = info.lag, metrics_.pending = info.pending, last_info_ = now;
  }
}

void Consumer::read_batch() {
  std::vector<StreamEntry>& entries = read_;
  entries.clear();
  std::string error;
  std::vector<std::string> acks = std::exchange(to_ack_, {});
  if (!group_.read_new(options_.batch, in_flight_.empty() ? 500 : 50, acks, entries, error)) {
    to_ack_.insert(to_ack_.end(), acks.begin(), acks.end());  // sent again: an XACK twice is harmless
    return lost(error);
  }
  acked_since_trim_ = acked_since_trim_ || !acks.empty();
  for (auto& e : entries) admit(std::move(e));
}

void Consumer::refresh_held() {
  last_refresh_ = Clock::now();
  std::string error;
  if (!group_.refresh(held_ids(), error)) lost(error);
}

// Entries another consumer (or this one, for a failed record) left idle.
void Consumer::claim_idle() {
  last_claim_ = Clock::now();
  const std::vector<std::string> ids = held_ids();
  const std::unordered_set<std::string> held(ids.begin(), ids.end());
  for (int round = 0; round < 8 && backlog_.size() < 4 * options_.batch; ++round) {
    std::vector<StreamEntry> entries;
    std::string error;
    if (!group_.claim_idle(options_.claim_idle_ms, options_.batch, entries, error)) return lost(error);
    for (auto& e : entries) {
      if (held.contains(e.id)) continue;
      ++claimed_, ++metrics_.claimed;
      admit(std::move(e), &held);
    }
    if (entries.empty()) return;
  }
}

void Consumer::admit(StreamEntry entry, const std::unordered_set<std::string>* known) {
  if (known != nullptr && known->contains(entry.id)) return;
  ++consumed_, ++metrics_.consumed;
  if (entry.deliveries > options_.max_deliveries) {
    const std::string reason = "delivered " + std::to_string(entry.deliveries) + " times, more than --max-deliveries " +
                               std::to_string(options_.max_deliveries);
    return poison(std::move(entry), reason);
  }
  if (!entry.has_record) return poison(std::move(entry), "the entry has no field 'record'");
  Held held;
  held.activation = activations_.find(entry.activation);
  if (held.activation == activations_.size()) {
    const std::string named = entry.activation.empty() ? "no field 'activation'" : "activation '" + entry.activation + "'";
    return poison(std::move(entry), "the entry has " + named + "; this runner's activations: " + activations_.names());
  }
  held.entry = std::move(entry);
  std::string reason;
  if (!prepare_record(options_.stream, held, reason)) return poison(std::move(held.entry), reason);
  held.read_at = Clock::now();
  backlog_.push_back(std::move(held));
}

void Consumer::poison(StreamEntry entry, std::string reason) {
  to_dead_.emplace_back(std::move(entry), std::move(reason));
}

// The backlog to the steps, each run of entries for one activation in one
// submit call (one wake-up of the step's thread, not one per record).
void Consumer::submit_backlog() {
  std::vector<output_step_record_t>& records = submitting_;
  while (!backlog_.empty()) {
    const std::size_t activation = backlog_.front().activation;
    records.clear();
    for (std::size_t i = 0; i < backlog_.size() && records.size() < 256 && backlog_[i].activation == activation; ++i) {
      records.push_back({backlog_[i].record.data(), backlog_[i].record.size(), next_token_ + i});
    }
    const output_step_t* step = activations_[activation].step;
    std::size_t accepted = 0;
    const output_step_status_t status = step->submit(step, records.data(), records.size(), &accepted);
    for (std::size_t i = 0; i < accepted; ++i) {
      ++metrics_.activations[activation].submitted;
      in_flight_.emplace(next_token_++, std::move(backlog_.front()));
      backlog_.pop_front();
    }
    if (status == OUTPUT_STEP_OK) continue;
    if (status == OUTPUT_STEP_BUSY) return;
    next_token_ += 1;  // the refused record's token stays unused
    refuse_front(status);
  }
}

// The backlog's first entry, which its step did not accept.
void Consumer::refuse_front(output_step_status_t status) {
  Held held = std::move(backlog_.front());
  backlog_.pop_front();
  if (status == OUTPUT_STEP_INVALID) {
    held.entry.has_record = true, held.entry.record = std::move(held.record);
    return poison(std::move(held.entry), "refused by the activation's step (its log says why)");
  }
  // Not the entry's fault (a spool that cannot write): it stays pending and comes back.
  ++failed_, ++metrics_.activations[held.activation].failed;
  log("output-runner: entry " + held.entry.id + " not accepted by its step (its log says why); left pending");
}

void Consumer::settle(milliseconds wait) {
  activations_.completions().take(wait, completed_);
  for (const auto& c : completed_) settle_one(c);
}

void Consumer::settle_one(const Completion& c) {
  auto it = in_flight_.find(c.token);
  if (it == in_flight_.end()) return;  // a record recovered from a step's own spool: not an entry of this run
  Held held = std::move(it->second);
  in_flight_.erase(it);
  auto& m = metrics_.activations[held.activation];
  m.latency.observe(std::chrono::duration<double>(Clock::now() - held.read_at).count());
  if (c.outcome == OUTPUT_STEP_DELIVERED) {
    ++delivered_, ++m.delivered;
    to_ack_.push_back(held.entry.id);
  } else if (c.outcome == OUTPUT_STEP_DEAD_LETTERED) {
    ++dead_lettered_, ++m.dead_lettered;
    to_ack_.push_back(held.entry.id);
  } else {
    ++failed_, ++m.failed;  // not acknowledged: it comes back once idle for --claim-idle-ms
  }
  if (!outcomes_.is_open()) return;
  json::object row;
  row["entry_id"] = held.entry.id;
  row["activation"] = activations_[held.activation].name;
  row["event_id"] = held.event_id;
  append_outcome_fields(row, c);
  outcomes_.write(row);
}

bool Consumer::flush_redis() {
  if (!redis_.connected()) return false;
  std::string error;
  if (flush_redis(error)) return true;
  lost(error);
  return false;
}

// The acknowledgements and dead entries waiting, sent; on a failure what
// was not sent stays queued.
bool Consumer::flush_redis(std::string& error) {
  std::size_t acked = 0;
  if (!group_.ack(to_ack_, acked, error)) {
    to_ack_.erase(to_ack_.begin(), to_ack_.begin() + static_cast<std::ptrdiff_t>(acked));
    return false;
  }
  acked_since_trim_ = acked_since_trim_ || !to_ack_.empty();
  to_ack_.clear();
  while (!to_dead_.empty()) {
    auto& [entry, reason] = to_dead_.back();
    if (!group_.dead_letter(entry, reason, error)) return false;
    log("output-runner: entry " + entry.id + " moved to " + group_.dead_stream() + ": " + reason);
    ++dead_lettered_, ++metrics_.poison;
    to_dead_.pop_back();
  }
  return true;
}

// After a signal: no more reads; what is in flight finishes (acknowledged as
// it completes) within the shutdown timeout, the rest is cut short and
// stays pending for another consumer.
void Consumer::shutdown() {
  const auto deadline = Clock::now() + milliseconds(options_.shutdown_timeout_ms);
  while (!in_flight_.empty() && Clock::now() < deadline) {
    settle(milliseconds(50));
    if (redis_.connected()) {
      flush_redis();
      if (Clock::now() - last_refresh_ >= milliseconds(std::max<std::int64_t>(options_.claim_idle_ms / 3, 10))) {
        refresh_held();
      }
    }
  }
  metrics_server_.stop();
  const std::uint64_t cut = activations_.destroy_all(1000);
  if (cut > 0) log("output-runner: " + std::to_string(cut) + " records were cut short at shutdown; they stay pending");
  settle(milliseconds(0));
  for (int attempt = 0; attempt < 3 && (!to_ack_.empty() || !to_dead_.empty()); ++attempt) {
    std::string error;
    if (!redis_.connected() && !redis_.connect(error)) continue;
    flush_redis();
  }
}

int Consumer::report() {
  const bool unsettled = !to_ack_.empty() || !to_dead_.empty();
  if (unsettled) {
    log("output-runner: " + std::to_string(to_ack_.size() + to_dead_.size()) +
        " entries completed but could not be acknowledged (Redis unreachable); they will be delivered again");
  }
  out_ << "{\"consumed\":" << consumed_ << ",\"delivered\":" << delivered_ << ",\"failed\":" << failed_
       << ",\"dead_lettered\":" << dead_lettered_ << ",\"claimed\":" << claimed_ << "}" << std::endl;
  return !unsettled && delivered_ + dead_lettered_ == consumed_ ? 0 : 1;
}

}  // namespace

int run_consume(const ConsumeOptions& options, std::ostream& out, std::ostream& err) {
  return Consumer(options, out, err).run();
}

}  // namespace output_runner
