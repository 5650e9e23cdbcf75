#include "output_runner/step_host.hpp"

#include <boost/json/parse.hpp>

#include <ostream>

namespace output_runner {

namespace json = boost::json;

StepHost::StepHost(const char* name, std::ostream& err, LogStyle style, CompletionHandler on_completion)
    : err_(err), style_(style), on_completion_(std::move(on_completion)) {
  abi_.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
  abi_.host_data = this;
  abi_.name = name;
  abi_.log = [](const output_step_host_t* h, output_step_log_level_t level, const char* message) {
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    auto* self = static_cast<StepHost*>(h->host_data);
    if (self->style_.silent || level < self->style_.min_level) return;
    const std::string prefix =
        self->style_.level_tags ? std::string("[") + names[level >= 0 && level <= 3 ? level : 3] + "] " : "[plugin] ";
    self->write_line(prefix + message);
  };
  abi_.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
    static_cast<StepHost*>(h->host_data)->on_completion_(*c);
  };
  abi_.get_extension = [](const output_step_host_t* h, const char* id) -> const void* {
    const auto* self = static_cast<const StepHost*>(h->host_data);
    if (self->runtime_ != nullptr && std::string_view(id) == OUTPUT_STEP_EXT_RUNTIME) return self->runtime_;
    if (self->now_ms_ != nullptr && std::string_view(id) == OUTPUT_STEP_EXT_HOST_CLOCK) return &self->clock_;
    return nullptr;
  };
}

void StepHost::offer_clock(const std::atomic<std::int64_t>* now_ms) {
  now_ms_ = now_ms;
  clock_.now_ms = [](const output_step_host_t* h) { return static_cast<const StepHost*>(h->host_data)->now_ms_->load(); };
  clock_.request_wakeup = [](const output_step_host_t*, std::int64_t) {};
}

const output_step_t* StepHost::create(const output_step_entry_t& entry, std::string_view config) {
  auto on_error = [](void* context, const char* field, const char* message) {
    if (static_cast<StepHost*>(context)->style_.silent) return;
    static_cast<StepHost*>(context)->write_line(std::string("config: ") + (*field ? field : "(top level)") + ": " +
                                                message);
  };
  return entry.create(&abi_, config.data(), config.size(), on_error, this);
}

void StepHost::write_line(std::string_view line) {
  std::string text(line);
  text += '\n';
  std::lock_guard lock(log_mutex_);
  err_.write(text.data(), static_cast<std::streamsize>(text.size()));
  err_.flush();
}

json::value step_stats(const output_step_t* step) {
  // The counters may grow between two calls: until the text fits.
  std::string text(1024, '\0');
  for (;;) {
    const size_t needed = step->stats(step, text.data(), text.size());
    if (needed < text.size()) {
      text.resize(needed);
      break;
    }
    text.assign(needed + 256, '\0');
  }
  boost::system::error_code ec;
  json::value stats = json::parse(text, ec);
  return ec || !stats.is_object() ? json::value() : stats;
}

std::uint64_t stats_count(const json::value& stats, std::string_view key) {
  const json::value* n = stats.is_object() ? stats.get_object().if_contains(key) : nullptr;
  if (n == nullptr) return 0;
  if (n->is_uint64()) return n->get_uint64();
  if (n->is_int64() && n->get_int64() > 0) return static_cast<std::uint64_t>(n->get_int64());
  return 0;
}

}  // namespace output_runner
