// Standard Webhooks signatures: the `whsec_` secret decoded once, when the
// configuration is parsed (validation and creation share the decoder), and
// the `webhook-signature` of each attempt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace webhook {

// Standard Webhooks' bounds on a secret's decoded size.
inline constexpr std::size_t kMinSigningKeyBytes = 24;
inline constexpr std::size_t kMaxSigningKeyBytes = 512;

// The key of a "whsec_" + base64 secret (standard alphabet, padded), or
// nullopt with `error` saying what is wrong (never echoing the secret).
std::optional<std::string> decode_signing_secret(std::string_view secret, std::string& error);

// Strict base64 (RFC 4648 section 4: the standard alphabet, padded to a
// multiple of four, nothing else): the bytes, or nullopt.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(const unsigned char* data, std::size_t size);

class Signer {
 public:
  Signer() = default;
  explicit Signer(std::string key) : key_(std::move(key)) {}

  bool enabled() const { return !key_.empty(); }

  // Appends "webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>\r\n".
  void append_header(std::string_view webhook_id, std::string_view timestamp, std::string_view body,
                     std::string& out) const;

 private:
  std::string key_;
};

}  // namespace webhook
