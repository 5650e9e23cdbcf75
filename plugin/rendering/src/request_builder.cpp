#include <webhook/rendering/request_builder.hpp>

#include <webhook/rendering/template.hpp>
#include <webhook/rendering/url_guard.hpp>

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdio>

namespace webhook {
namespace {

namespace json = boost::json;

// Lower-case hex of the first 16 bytes of `data`, appended at once.
void append_hex16(const unsigned char* data, std::string& out) {
  static constexpr char digits[] = "0123456789abcdef";
  char text[32];
  for (std::size_t i = 0; i < 16; ++i) {
    text[2 * i] = digits[data[i] >> 4];
    text[2 * i + 1] = digits[data[i] & 15];
  }
  out.append(text, sizeof text);
}

void assign_text(const json::value& v, std::string& out) {
  out.clear();
  if (const auto digits = integer_text(v); !digits.empty()) out.assign(digits);
  else if (const auto* s = v.if_string()) out.assign(s->data(), s->size());
  else if (!v.is_null()) out = json::serialize(v);
}

void append_number(std::size_t n, std::string& out) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

// The request line for `url` as rendered, when it stays under the prefix.
bool request_line(const Config& config, std::string_view url, std::string& out, std::string& error) {
  // The origin is literal (checked at validation); the path and query are
  // checked again as rendered, and what is sent is what was checked.
  NormalizedUrl normalized = with_target(config.endpoint, url.substr(config.url_origin_length));
  if (!is_under_prefix(normalized, config.url_prefix)) {
    error = "activation.url: the rendered URL is not under the URL prefix '" + config.url_prefix_text + "'; not sent";
    return false;
  }
  out.append(config.method).append(1, ' ').append(normalized.target()).append(" HTTP/1.1\r\n");
  return true;
}

}  // namespace

void append_webhook_id(std::string_view activation, std::string_view event_id, std::string& out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (event_id.empty()) {
    RAND_bytes(digest, 16);
  } else {
    sha256({activation, "\n", event_id}, digest);  // no copy of the three joined
  }
  out.append("msg_");
  append_hex16(digest, out);
}

RequestBuilder::RequestBuilder(const Config& config)
    : config_(config), activation_key_(config.activation_id.empty() ? config.activation_name : config.activation_id) {
  RenderInput constants{nullptr, config.api_key, config.activation_name, config.activation_id};
  std::string error;
  if (!config.url.depends_on_record()) {
    std::string url, line;
    if (config.url.render(constants, url, error) && request_line(config, url, line, error)) fixed_line_ = line;
  }
  host_and_agent_.append("Host: ").append(config.endpoint.host);
  bool default_port = config.endpoint.port == (config.endpoint.scheme == "https" ? 443 : 80);
  if (!default_port) host_and_agent_.append(1, ':').append(std::to_string(config.endpoint.port));
  host_and_agent_.append("\r\nUser-Agent: ").append(config.user_agent).append("\r\n");
  for (const auto& header : config.headers) {
    std::optional<std::string> fixed;
    if (!header.value.depends_on_record()) {
      std::string line = header.name + ": ";
      if (header.value.render(constants, line, error)) fixed = line + "\r\n";
    }
    fixed_headers_.push_back(std::move(fixed));  // nullopt: rendered per record (and its error reported then)
  }
}

bool RequestBuilder::acceptable(const RecordValues& record, std::string& error) {
  const json::value* v = record.get(RecordPaths::kWebhookId);
  if (v == nullptr) return true;
  constexpr std::string_view allowed = "; allowed: a string of 1 to 256 visible ASCII characters ('!' to '~')";
  if (!v->is_string() || !integer_text(*v).empty()) {
    error = "record: webhook_id is not a string" + std::string(allowed);
    return false;
  }
  const std::string_view id(v->get_string().data(), v->get_string().size());
  if (id.empty() || id.size() > kMaxWebhookIdBytes) {
    error = "record: webhook_id is " + std::to_string(id.size()) + " bytes long" + std::string(allowed);
    return false;
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x21 || c > 0x7E) {
      char text[64];
      std::snprintf(text, sizeof text, "record: webhook_id has byte 0x%02X at offset %zu", static_cast<unsigned>(c), i);
      error = text + std::string(allowed);
      return false;
    }
  }
  return true;
}

void RequestBuilder::build(const RecordValues& record, RenderedRecord& job, std::string_view webhook_id) const {
  const Config& config = config_;
  RenderInput input{&record, config.api_key, config.activation_name, config.activation_id};
  if (const auto* v = record.get(RecordPaths::kEventId)) assign_text(*v, job.event_id);
  if (const auto* v = record.get(RecordPaths::kJourneyName)) assign_text(*v, job.journey_name);
  if (const auto* v = record.get(RecordPaths::kJourneyStage)) assign_text(*v, job.journey_stage);
  // A record may carry the id it was first delivered under (a replayed
  // dead letter); otherwise the id derives from the activation and event.
  job.webhook_id.clear();
  if (!webhook_id.empty()) {
    job.webhook_id.assign(webhook_id);  // the id it was first sent under (the spool's)
  } else if (const auto* v = record.get(RecordPaths::kWebhookId); v && v->is_string()) {
    job.webhook_id.assign(v->get_string().data(), v->get_string().size());  // checked by acceptable()
  } else {
    append_webhook_id(activation_key_, job.event_id, job.webhook_id);
  }
  std::string error;
  std::string& head = job.head;
  head.clear();
  if (fixed_line_) {
    head.append(*fixed_line_);
  } else {
    std::string url;
    if (!config.url.render(input, url, error)) {
      job.render_error = "activation.url: " + error;
      return;
    }
    if (!request_line(config, url, head, error)) {
      job.render_error = std::move(error);
      return;
    }
  }
  job.body.clear();
  if (!config.body.render(input, job.body, error)) {
    job.render_error = "activation.body: " + error;
    return;
  }
  if (job.body.size() > config.max_body_bytes) {
    job.render_error = "activation.body: the rendered body is " + std::to_string(job.body.size()) +
                       " bytes; the limit is " + std::to_string(config.max_body_bytes) + " bytes; not sent";
    return;
  }
  if (config.ordering_key) {
    if (!config.ordering_key->render(input, job.ordering_key, error)) {
      job.render_error = "delivery.ordering_key: " + error;
      return;
    }
    job.has_ordering_key = true;
  }
  head.append(host_and_agent_);
  bool has_body = !job.body.empty() || (config.method != "GET" && config.method != "DELETE");
  if (has_body) {
    if (!config.content_type.empty()) head.append("Content-Type: ").append(config.content_type).append("\r\n");
    head.append("Content-Length: ");
    append_number(job.body.size(), head);
    head.append("\r\n");
  }
  head.append("webhook-id: ").append(job.webhook_id).append("\r\n");
  for (std::size_t i = 0; i < config.headers.size(); ++i) {
    if (fixed_headers_[i]) {
      head.append(*fixed_headers_[i]);
      continue;
    }
    const auto& header = config.headers[i];
    std::size_t mark = head.size();
    head.append(header.name).append(": ");
    if (!header.value.render(input, head, error)) {
      head.resize(mark);
      job.render_error = "activation.headers." + header.name + ": " + error;
      return;
    }
    head.append("\r\n");
  }
}

}  // namespace webhook
