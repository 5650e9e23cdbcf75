#include "output_runner/activations.hpp"

#include <webhook_common/file_text.hpp>

#include <boost/json/parse.hpp>

#include <cerrno>
#include <cstring>
#include <ostream>

namespace output_runner {

namespace json = boost::json;

void CompletionQueue::push(Completion completion) {
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(completion));
  }
  ready_.notify_one();
}

void CompletionQueue::take(std::chrono::milliseconds wait, std::vector<Completion>& out) {
  out.clear();
  std::unique_lock lock(mutex_);
  if (queued_.empty() && wait.count() > 0) ready_.wait_for(lock, wait, [&] { return !queued_.empty(); });
  queued_.swap(out);
}

Activations::~Activations() { destroy_all(0); }

namespace {

// The configuration's activation.name; "" when it has none.
std::string activation_name(const std::string& config) {
  boost::system::error_code ec;
  json::parse_options options;
  options.allow_comments = options.allow_trailing_commas = true;
  const json::value v = json::parse(config, ec, {}, options);
  const json::value* activation = ec || !v.is_object() ? nullptr : v.get_object().if_contains("activation");
  const json::value* name = activation && activation->is_object() ? activation->get_object().if_contains("name") : nullptr;
  return name && name->is_string() ? std::string(name->get_string()) : std::string();
}

}  // namespace

bool Activations::start(const std::string& plugin, const std::vector<std::string>& configs, bool delivery_ids) {
  std::string error;
  if (!plugin_.load(plugin, error)) {
    err_ << "output-runner: " << error << "\n";
    return false;
  }
  for (const auto& path : configs) {
    const std::optional<std::string> file = webhook_common::read_file(path);
    if (!file) {
      err_ << "output-runner: cannot read --config '" << path << "': " << std::strerror(errno) << "\n";
      return false;
    }
    const std::size_t index = activations_.size();
    Activation& a = activations_.emplace_back();
    const std::string& text = *file;
    a.name = activation_name(text);
    if (configs.size() > 1 && (a.name.empty() || find(a.name) != index)) {
      err_ << "output-runner: --config '" << path << "': "
           << (a.name.empty() ? "activation.name is missing; with several --config each names its activation"
                              : "activation.name '" + a.name + "' is used by another --config")
           << "\n";
      return false;
    }
    a.host = std::make_unique<StepHost>(host_name_, err_, StepHost::LogStyle{},
                                        [this, index, delivery_ids](const output_step_completion_t& c) {
                                          completions_.push(Completion::of(index, c, delivery_ids));
                                        });
    a.host->offer_runtime(&runtime_);
    a.step = a.host->create(plugin_.entry(), text);
    if (a.step == nullptr) {
      err_ << "output-runner: the configuration in '" << path << "' is invalid (errors above)\n";
      return false;
    }
  }
  return true;
}

std::size_t Activations::find(const std::string& name) const {
  if (name.empty() && activations_.size() == 1) return 0;
  for (std::size_t i = 0; i < activations_.size(); ++i) {
    if (activations_[i].name == name) return i;
  }
  return activations_.size();
}

std::string Activations::names() const {
  std::string out;
  std::size_t listed = 0;
  for (const auto& a : activations_) {
    if (listed++ == 10) return out + ", and " + std::to_string(activations_.size() - 10) + " more";
    out += (out.empty() ? "" : ", ") + a.name;
  }
  return out;
}

std::uint64_t Activations::destroy_all(std::int64_t timeout_ms) {
  std::uint64_t cut_short = 0;
  for (auto& a : activations_) {
    if (a.step == nullptr) continue;
    std::uint64_t unfinished = 0;
    a.step->destroy(a.step, timeout_ms, &unfinished);
    a.step = nullptr;
    cut_short += unfinished;
  }
  return cut_short;
}

}  // namespace output_runner
