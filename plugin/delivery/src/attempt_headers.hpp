// The headers each attempt adds to its record's request: webhook-timestamp
// (whole seconds, the text made once per second) and, with a signing key,
// webhook-signature over id.timestamp.body (Standard Webhooks).
#pragma once

#include <webhook/rendering/signer.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

class AttemptHeaders {
 public:
  explicit AttemptHeaders(std::string signing_key) : signer_(std::move(signing_key)) {}

  // Replaces `out` with the headers of an attempt at Unix second `second`.
  void write(std::int64_t second, std::string_view webhook_id, std::string_view body, std::string& out) {
    if (second != second_) {
      second_ = second;
      second_text_ = std::to_string(second);
      header_ = "webhook-timestamp: " + second_text_ + "\r\n";
    }
    out.assign(header_);
    if (signer_.enabled()) signer_.append_header(webhook_id, second_text_, body, out);
  }

 private:
  Signer signer_;
  std::int64_t second_ = -1;
  std::string second_text_;
  std::string header_;  // "webhook-timestamp: S\r\n" for second_
};

}  // namespace webhook
