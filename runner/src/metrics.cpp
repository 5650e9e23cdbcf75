#include "output_runner/metrics.hpp"

#include "output_runner/step_host.hpp"

#include <cstdio>

namespace output_runner {

void LatencyHistogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

namespace {

// A label value escaped as the exposition format wants (\\, \", \n).
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  out.append(name).append("{").append(labels).append("} ").append(number(value)).append("\n");
}

}  // namespace

void LatencyHistogram::render(const std::string& name, const std::string& labels, std::string& out) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < kBounds.size() ? number(kBounds[i]) : "+Inf";
    std::string bucket_labels = labels;
    bucket_labels.append(",le=\"").append(le).append("\"");
    sample(out, name + "_bucket", bucket_labels, static_cast<double>(cumulative));
  }
  sample(out, name + "_sum", labels, static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  sample(out, name + "_count", labels, static_cast<double>(cumulative));
}

std::string RunnerMetrics::render() const {
  std::string out;
  struct Counter {
    const char* name;
    const char* help;
    std::uint64_t (*value)(const ActivationMetrics&, const boost::json::value&);
  };
  std::vector<boost::json::value> stats;
  for (const auto& a : activations) stats.push_back(a.step ? step_stats(a.step) : boost::json::value());
  const Counter counters[] = {
      {"output_runner_records_submitted_total", "Records submitted to the activation's step.",
       [](const ActivationMetrics& a, const boost::json::value&) { return a.submitted.load(); }},
      {"output_runner_records_delivered_total", "Records delivered.",
       [](const ActivationMetrics& a, const boost::json::value&) { return a.delivered.load(); }},
      {"output_runner_records_retried_total", "Retries the step scheduled.",
       [](const ActivationMetrics&, const boost::json::value& s) { return stats_count(s, "retried"); }},
      {"output_runner_records_failed_total", "Records that finally failed (not acknowledged: they come back).",
       [](const ActivationMetrics& a, const boost::json::value&) { return a.failed.load(); }},
      {"output_runner_records_dead_lettered_total", "Records dead-lettered by the step.",
       [](const ActivationMetrics& a, const boost::json::value&) { return a.dead_lettered.load(); }},
  };
  for (const auto& c : counters) {
    family(out, c.name, "counter", c.help);
    for (std::size_t i = 0; i < activations.size(); ++i) {
      sample(out, c.name, "activation=\"" + escaped(activations[i].name) + "\"",
             static_cast<double>(c.value(activations[i], stats[i])));
    }
  }
  family(out, "output_runner_records_in_flight", "gauge", "Records accepted by the step and not yet completed.");
  for (std::size_t i = 0; i < activations.size(); ++i) {
    sample(out, "output_runner_records_in_flight", "activation=\"" + escaped(activations[i].name) + "\"",
           static_cast<double>(stats_count(stats[i], "in_flight")));
  }
  family(out, "output_runner_delivery_latency_seconds", "histogram",
         "From the entry read from Redis to its completion.");
  for (const auto& a : activations) {
    a.latency.render("output_runner_delivery_latency_seconds", "activation=\"" + escaped(a.name) + "\"", out);
  }
  const std::string runner = "stream=\"" + escaped(stream) + "\",group=\"" + escaped(group) + "\",consumer=\"" +
                             escaped(consumer) + "\"";
  family(out, "output_runner_entries_consumed_total", "counter", "Stream entries this runner took on.");
  sample(out, "output_runner_entries_consumed_total", runner, static_cast<double>(consumed.load()));
  family(out, "output_runner_entries_claimed_total", "counter", "Entries taken over from idle consumers (XAUTOCLAIM).");
  sample(out, "output_runner_entries_claimed_total", runner, static_cast<double>(claimed.load()));
  family(out, "output_runner_entries_poison_total", "counter", "Entries moved to the dead stream NAME:dead.");
  sample(out, "output_runner_entries_poison_total", runner, static_cast<double>(poison.load()));
  family(out, "output_runner_group_lag", "gauge", "Entries in the stream not yet read by the group (-1: unknown).");
  sample(out, "output_runner_group_lag", runner, static_cast<double>(lag.load()));
  family(out, "output_runner_group_pending", "gauge", "Entries read by the group and not yet acknowledged.");
  sample(out, "output_runner_group_pending", runner, static_cast<double>(pending.load()));
  return out;
}

}  // namespace output_runner
