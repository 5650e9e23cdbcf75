#include "outcome_files.hpp"

#include <webhook/delivery/outcome_lines.hpp>

#include <stdexcept>

namespace webhook {

OutcomeFiles::OutcomeFiles(const Config& config, WriteFunction write, const EngineLog& log)
    : config_(config), log_(log) {
  open(dead_letters_, config.dead_letter_file, "delivery.dead_letter_file", write);
  open(delivery_log_, config.delivery_log_file, "delivery.delivery_log_file", write);
}

void OutcomeFiles::open(NdjsonFile& file, const std::string& path, const std::string& field, WriteFunction write) {
  if (path.empty()) return;
  std::string error;
  if (!file.open(path, error, write)) throw std::runtime_error(field + ": " + error);
  if (file.torn_bytes() > 0) {
    log_(LogLevel::warning, field + ": '" + path + "' ended in a line cut short (" + std::to_string(file.torn_bytes()) +
                                " bytes, a crash while it was written); that part was removed");
  }
}

bool OutcomeFiles::write_dead_letter(const Job& job, std::string_view error, std::int64_t now_ms,
                                     std::string& write_error) {
  if (dead_letters_.append(dead_letter_line(config_, job, error, now_ms), write_error)) return true;
  log_.throttled(dead_letter_failures_,
                 "delivery.dead_letter_file: cannot write to '" + config_.dead_letter_file + "': " + write_error);
  return false;
}

void OutcomeFiles::write_delivery_log(const Job& job, bool delivered, int status, std::string_view error,
                                      std::int64_t now_ms, std::int64_t log_ms) {
  if (!delivery_log_.is_open()) return;
  std::string write_error;
  if (delivery_log_.append(delivery_log_line(config_, job, delivered, status, error, now_ms, log_ms), write_error)) {
    return;
  }
  log_.throttled(delivery_log_failures_,
                 "delivery.delivery_log_file: cannot write to '" + config_.delivery_log_file + "': " + write_error);
}

}  // namespace webhook
