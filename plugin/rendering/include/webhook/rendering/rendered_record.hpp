// What the request builder makes of one record, once, at submit: its
// request (head and body), the names it is known by, and its ordering key.
#pragma once

#include <string>

namespace webhook {

struct RenderedRecord {
  std::string event_id;
  std::string webhook_id;
  std::string journey_name;
  std::string journey_stage;

  // The request: head without the per-attempt headers (webhook-timestamp,
  // webhook-signature) and the final CRLF, then the body.
  std::string head;
  std::string body;

  std::string ordering_key;
  bool has_ordering_key = false;

  // Set when the record could not be rendered: it fails without a request.
  std::string render_error;

  bool operator==(const RenderedRecord&) const = default;

  // Ready for the next record, keeping the strings' buffers.
  void clear_rendering() {
    event_id.clear();
    webhook_id.clear();
    journey_name.clear();
    journey_stage.clear();
    head.clear();
    body.clear();
    ordering_key.clear();
    has_ordering_key = false;
    render_error.clear();
  }
};

}  // namespace webhook
