#include "stats.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace webhook {
namespace {

namespace json = boost::json;

json::object percentiles(const LatencyHistogram& h) {
  json::object p;
  p["count"] = h.total();
  p["p50_us"] = h.quantile(0.50);
  p["p90_us"] = h.quantile(0.90);
  p["p99_us"] = h.quantile(0.99);
  p["max_us"] = h.max();
  return p;
}

}  // namespace

std::string Stats::to_json(std::uint64_t in_flight, std::uint32_t circuits_open, std::optional<SpoolFigures> spool) const {
  json::object o;
  o["submitted"] = submitted.load();
  o["delivered"] = delivered.load();
  o["retried"] = retried.load();
  o["failed"] = failed.load();
  o["dead_lettered"] = dead_lettered.load();
  o["in_flight"] = in_flight;
  o["waiting_retry"] = waiting_retry.load();
  o["rejected_busy"] = rejected_busy.load();
  o["rejected_invalid"] = rejected_invalid.load();
  o["attempts"] = attempts.load();
  o["connections_opened"] = connections_opened.load();
  o["disabled"] = disabled.load();
  o["circuits_open"] = circuits_open;
  if (spool) {
    o["spool_bytes"] = spool->bytes;
    o["spool_unreadable_records"] = spool->unreadable_records;
  }
  static const Latencies none;
  const Latencies* l = published_.load(std::memory_order_acquire);
  if (l == nullptr) l = &none;
  o["latency"] = percentiles(l->latency);
  o["latency_to_send"] = percentiles(l->latency_to_send);
  o["latency_response"] = percentiles(l->latency_response);
  return json::serialize(o);
}

}  // namespace webhook
