#include "request_builder.hpp"

#include "template.hpp"
#include "url_guard.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>

namespace webhook {
namespace {

namespace json = boost::json;

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string text_of(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  if (v.is_null()) return {};
  return json::serialize(v);
}

}  // namespace

std::string make_webhook_id(std::string_view activation, std::string_view event_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (event_id.empty()) {
    RAND_bytes(digest, 16);
    return "msg_" + hex(digest, 16);
  }
  std::string input;
  input.reserve(activation.size() + event_id.size() + 1);
  input.append(activation).append(1, '\n').append(event_id);
  sha256(input, digest);
  return "msg_" + hex(digest, 16);
}

void build_request(const Config& config, const json::object& record, Job& job) {
  if (auto it = record.find("event_id"); it != record.end()) job.event_id = text_of(it->value());
  if (auto it = record.find("journey"); it != record.end() && it->value().is_object()) {
    const auto& journey = it->value().get_object();
    if (auto n = journey.find("name"); n != journey.end()) job.journey_name = text_of(n->value());
    if (auto s = journey.find("stage"); s != journey.end()) job.journey_stage = text_of(s->value());
  }
  // A record may carry the id it was first delivered under (a replayed
  // dead letter); otherwise the id derives from the activation and event.
  if (auto it = record.find("webhook_id"); it != record.end() && it->value().is_string() &&
                                            !it->value().get_string().empty()) {
    job.webhook_id = std::string(it->value().get_string());
    if (job.webhook_id.find_first_of("\r\n") != std::string::npos) {
      job.render_error = "webhook_id: must not contain CR or LF";
      return;
    }
  } else {
    job.webhook_id = make_webhook_id(config.activation_id.empty() ? config.activation_name : config.activation_id,
                                     job.event_id);
  }
  RenderInput input{&record, config.api_key, config.activation_name, config.activation_id};
  std::string error;
  std::string url;
  if (!config.url.render(input, url, error)) {
    job.render_error = "activation.url: " + error;
    return;
  }
  // The origin is literal (checked at validation); the path and query are
  // checked again as rendered, and what is sent is what was checked.
  auto normalized = std::optional<NormalizedUrl>(
      with_target(config.endpoint, std::string_view(url).substr(config.url_origin_length)));
  if (!is_under_prefix(*normalized, config.url_prefix)) {
    job.render_error = "activation.url: the rendered URL is not under the URL prefix '" + config.url_prefix_text +
                       "'; not sent";
    return;
  }
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
  std::string& head = job.head;
  head.reserve(256 + job.body.size() / 16);
  head.append(config.method).append(1, ' ').append(normalized->target()).append(" HTTP/1.1\r\nHost: ");
  head.append(config.endpoint.host);
  bool default_port = config.endpoint.port == (config.endpoint.scheme == "https" ? 443 : 80);
  if (!default_port) head.append(1, ':').append(std::to_string(config.endpoint.port));
  head.append("\r\nUser-Agent: ").append(config.user_agent).append("\r\n");
  bool has_body = !job.body.empty() || (config.method != "GET" && config.method != "DELETE");
  if (has_body) {
    if (!config.content_type.empty()) head.append("Content-Type: ").append(config.content_type).append("\r\n");
    head.append("Content-Length: ").append(std::to_string(job.body.size())).append("\r\n");
  }
  head.append("webhook-id: ").append(job.webhook_id).append("\r\n");
  for (const auto& header : config.headers) {
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
