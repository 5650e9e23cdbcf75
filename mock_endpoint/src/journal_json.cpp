#include "webhook_mock/journal_json.hpp"

#include "webhook_mock/request_pattern.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <webhook_common/iso_time.hpp>

namespace webhook_mock {
namespace {

namespace json = boost::json;

// The length of the well-formed UTF-8 sequence at the start of `text`, or
// 0 when it is ill-formed; `taken` is then the length of its maximal
// ill-formed part (at least 1), which a decoder replaces with one U+FFFD
// (Unicode's table 3-7 gives the second byte's range for each lead).
std::size_t utf8_sequence(std::string_view text, std::size_t& taken) {
  const auto lead = static_cast<unsigned char>(text[0]);
  taken = 1;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if (k >= text.size()) return 0;
    const auto c = static_cast<unsigned char>(text[k]);
    if (k == 1 ? (c < low || c > high) : (c & 0xC0) != 0x80) return 0;
    taken = k + 1;
  }
  return length;
}

}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0, taken = 0; i < text.size(); i += taken) {
    if (utf8_sequence(text.substr(i), taken) == 0) return false;
  }
  return true;
}

std::string utf8_repaired(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0, taken = 0; i < text.size(); i += taken) {
    if (utf8_sequence(text.substr(i), taken) == 0) out += "\xEF\xBF\xBD";
    else out.append(text.substr(i, taken));
  }
  return out;
}

bool all_utf8(const json::value& value) {
  if (const auto* s = value.if_string()) return is_utf8(std::string_view(s->data(), s->size()));
  if (const auto* array = value.if_array()) {
    return std::all_of(array->begin(), array->end(), [](const json::value& v) { return all_utf8(v); });
  }
  if (const auto* object = value.if_object()) {
    return std::all_of(object->begin(), object->end(), [](const json::key_value_pair& member) {
      return is_utf8(std::string_view(member.key().data(), member.key().size())) && all_utf8(member.value());
    });
  }
  return true;
}

void repair_utf8(json::value& value) {
  if (auto* s = value.if_string()) {
    if (!is_utf8(std::string_view(s->data(), s->size()))) *s = utf8_repaired(std::string_view(s->data(), s->size()));
  } else if (auto* array = value.if_array()) {
    for (auto& element : *array) repair_utf8(element);
  } else if (auto* object = value.if_object()) {
    bool keys_ok = true;
    for (auto& member : *object) {
      repair_utf8(member.value());
      keys_ok = keys_ok && is_utf8(std::string_view(member.key().data(), member.key().size()));
    }
    if (!keys_ok) {  // keys cannot change in place
      json::object repaired(object->storage());
      for (auto& member : *object) repaired[utf8_repaired(std::string_view(member.key().data(), member.key().size()))] = std::move(member.value());
      *object = std::move(repaired);
    }
  }
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(3 * ((text.size() + 3) / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(padding, static_cast<std::size_t>(n)));
  return out;
}

json::object logged_request_json(const RecordedRequest& r, const std::string& base_url) {
  json::object o;
  o["url"] = r.target;
  o["absoluteUrl"] = base_url + r.target;
  o["method"] = r.method;
  std::string client = r.client_address;
  if (auto colon = client.rfind(':'); colon != std::string::npos) client.resize(colon);
  o["clientIp"] = client;
  json::object headers;
  for (const auto& [name, value] : r.headers) {
    auto it = headers.find(name);
    if (it == headers.end()) {
      headers[name] = value;
    } else if (it->value().is_array()) {
      it->value().get_array().emplace_back(value);
    } else {
      json::array both{it->value(), json::value(value)};
      it->value() = std::move(both);
    }
  }
  o["headers"] = std::move(headers);
  o["cookies"] = json::object{};
  o["browserProxyRequest"] = false;
  o["loggedDate"] = r.received_ms;
  o["bodyAsBase64"] = base64_encode(r.body);
  o["body"] = is_utf8(r.body) ? r.body : std::string();
  o["protocol"] = "HTTP/1.1";
  auto scheme_end = base_url.find("://");
  o["scheme"] = base_url.substr(0, scheme_end);
  std::string authority = base_url.substr(scheme_end == std::string::npos ? 0 : scheme_end + 3);
  auto port_colon = authority.rfind(':');
  o["host"] = authority.substr(0, port_colon);
  o["port"] = port_colon == std::string::npos ? 0 : std::stoi(authority.substr(port_colon + 1));
  o["loggedDateString"] = webhook_common::format_iso8601(r.received_ms);
  json::object query;
  std::string_view q = r.query;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    std::string key = decode_query_component(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : decode_query_component(part.substr(eq + 1));
    auto it = query.find(key);
    if (it == query.end()) query[key] = json::object{{"key", key}, {"values", json::array{json::value(value)}}};
    else it->value().get_object()["values"].get_array().emplace_back(value);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  o["queryParams"] = std::move(query);
  o["formParams"] = json::object{};
  return o;
}

json::object serve_event_json(const RecordedRequest& r, const std::string& base_url, json::value response_definition,
                              const json::value& stub) {
  json::object o;
  o["id"] = r.id;
  o["request"] = logged_request_json(r, base_url);
  o["responseDefinition"] = std::move(response_definition);
  json::object response{{"status", r.answered_status}};
  if (!r.fault.empty()) response["fault"] = r.fault;
  o["response"] = std::move(response);
  o["wasMatched"] = r.was_matched;
  o["timing"] = json::object{{"addedDelay", 0}, {"processTime", 0}, {"responseSendTime", 0}, {"serveTime", 0},
                             {"totalTime", 0}};
  if (!stub.is_null()) o["stubMapping"] = stub;
  if (!r.match_error.empty()) o["matchError"] = r.match_error;
  return o;
}

std::optional<RecordedRequest> recorded_from_serve_event(const json::value& event) {
  const auto* e = event.if_object();
  if (e == nullptr || !e->contains("request") || !e->at("request").is_object()) return std::nullopt;
  const auto& q = e->at("request").get_object();
  auto text = [](const json::object& o, std::string_view key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  RecordedRequest r;
  r.id = text(*e, "id");
  r.method = text(q, "method");
  r.target = text(q, "url");
  auto question = r.target.find('?');
  r.path = r.target.substr(0, question);
  if (question != std::string::npos) r.query = r.target.substr(question + 1);
  if (auto it = q.find("headers"); it != q.end() && it->value().is_object()) {
    for (const auto& h : it->value().get_object()) {
      if (h.value().is_string()) {
        r.headers.emplace_back(std::string(h.key()), std::string(h.value().get_string()));
      } else if (const auto* values = h.value().if_array()) {
        for (const auto& v : *values) {
          if (v.is_string()) r.headers.emplace_back(std::string(h.key()), std::string(v.get_string()));
        }
      }
    }
  }
  std::string base64 = text(q, "bodyAsBase64");
  if (!base64.empty()) {
    r.body = base64_decode(base64).value_or(std::string());
  } else {
    r.body = text(q, "body");
  }
  r.client_address = text(q, "clientIp");
  if (auto it = q.find("loggedDate"); it != q.end() && it->value().is_number()) {
    r.received_ms = it->value().to_number<std::int64_t>();
  }
  if (auto it = e->find("wasMatched"); it != e->end() && it->value().is_bool()) r.was_matched = it->value().get_bool();
  if (auto it = e->find("response"); it != e->end() && it->value().is_object()) {
    const auto& response = it->value().get_object();
    if (auto s = response.find("status"); s != response.end() && s->value().is_number()) {
      r.answered_status = s->value().to_number<int>();
    }
    r.fault = text(response, "fault");
  }
  r.match_error = text(*e, "matchError");
  return r;
}

}  // namespace webhook_mock
