// One record rendered into its request: the head (without the per-attempt
// headers) and the body, its webhook-id and ordering key, once, at submit.
#pragma once

#include <webhook/rendering/config.hpp>
#include <webhook/rendering/rendered_record.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

inline constexpr std::size_t kMaxWebhookIdBytes = 256;

// Renders records for one configuration. What is the same for every record
// (the request line when the URL has no record variables, the Host and
// User-Agent lines, headers whose only variables are the step's constants)
// is made once, here; the rest per record.
class RequestBuilder {
 public:
  explicit RequestBuilder(const Config& config);  // `config` must outlive it

  // Fills `out` from `record`, read for the configuration's record paths. A
  // record that cannot be rendered gets `out.render_error` (naming the field
  // and the variable) and no request. A non-empty `webhook_id` is the id
  // the record was first sent under (recovered from the spool): it stands
  // instead of the record's own or a derived one.
  void build(const RecordValues& record, RenderedRecord& out, std::string_view webhook_id = {}) const;

  // Whether a record may be accepted at all: a "webhook_id" of its own, when
  // it has one, is 1 to 256 visible ASCII characters (it goes into a header
  // and names the delivery for the receiver). Otherwise false and `error`.
  static bool acceptable(const RecordValues& record, std::string& error);

 private:
  const Config& config_;
  std::string activation_key_;             // what webhook-ids derive from
  std::optional<std::string> fixed_line_;  // "POST /path HTTP/1.1\r\n" when the URL is constant
  std::string host_and_agent_;             // "Host: ...\r\nUser-Agent: ...\r\n"
  std::vector<std::optional<std::string>> fixed_headers_;  // rendered "Name: value\r\n", per header
};

// "msg_" + 32 hex digits of SHA-256(activation, event id): the same for a
// resubmitted record; random for a record without an event id. Appended to
// `out`.
void append_webhook_id(std::string_view activation, std::string_view event_id, std::string& out);

}  // namespace webhook
