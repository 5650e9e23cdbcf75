// The files a finished record is written to: its dead letter (when it
// failed) and its row of the delivery log. A write that fails is reported
// to the caller and logged at most once per 10 s. [I/O thread]
#pragma once

#include "engine_log.hpp"

#include <webhook/delivery/job.hpp>
#include <webhook/delivery/ndjson_file.hpp>
#include <webhook/rendering/config.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

class OutcomeFiles {
 public:
  // Opens the configured files (0600); throws std::runtime_error naming the
  // field when one cannot be opened.
  OutcomeFiles(const Config& config, WriteFunction write, const EngineLog& log);

  bool has_dead_letters() const { return dead_letters_.is_open(); }
  bool any_open() const { return dead_letters_.is_open() || delivery_log_.is_open(); }

  // False, with `write_error`, when the letter could not be written (the
  // file is left as it was).
  bool write_dead_letter(const Job& job, std::string_view error, std::int64_t now_ms, std::string& write_error);
  void write_delivery_log(const Job& job, bool delivered, int status, std::string_view error, std::int64_t now_ms,
                          std::int64_t log_ms);

 private:
  void open(NdjsonFile& file, const std::string& path, const std::string& field, WriteFunction write);

  const Config& config_;
  const EngineLog& log_;
  NdjsonFile dead_letters_;
  NdjsonFile delivery_log_;
  LogThrottle dead_letter_failures_, delivery_log_failures_;
};

}  // namespace webhook
