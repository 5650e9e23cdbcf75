#include <webhook/rendering/signer.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace webhook {
namespace {

// 0..63 for the standard alphabet, -1 for anything else ('=' included).
constexpr std::array<int, 256> kDecode = [] {
  std::array<int, 256> table{};
  table.fill(-1);
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  return table;
}();

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const bool pad = last && k >= 4 - padding;
      const int digit = pad ? 0 : kDecode[static_cast<unsigned char>(text[i + k])];
      if (digit < 0) return std::nullopt;
      group = group << 6 | static_cast<std::uint32_t>(digit);
    }
    const std::size_t bytes = last ? 3 - padding : 3;
    // The bits a padded group leaves over must be zero (canonical form).
    if (last && padding > 0 && (group & ((1u << (8 * padding)) - 1)) != 0) return std::nullopt;
    for (std::size_t k = 0; k < bytes; ++k) out += static_cast<char>((group >> (16 - 8 * k)) & 0xff);
  }
  return out;
}

std::string encode_base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> decode_signing_secret(std::string_view secret, std::string& error) {
  constexpr std::string_view prefix = "whsec_";
  const std::string allowed = "'whsec_' followed by the base64 (standard alphabet, padded) of " +
                              std::to_string(kMinSigningKeyBytes) + " to " + std::to_string(kMaxSigningKeyBytes) +
                              " bytes";
  if (secret.substr(0, prefix.size()) != prefix) {
    error = "must be a Standard Webhooks secret: " + allowed;
    return std::nullopt;
  }
  auto key = decode_base64(secret.substr(prefix.size()));
  if (!key) {
    error = "is not valid base64 after 'whsec_'; allowed: " + allowed;
    return std::nullopt;
  }
  if (key->size() < kMinSigningKeyBytes || key->size() > kMaxSigningKeyBytes) {
    error = "decodes to " + std::to_string(key->size()) + " bytes; allowed: " + allowed;
    return std::nullopt;
  }
  return key;
}

void Signer::append_header(std::string_view webhook_id, std::string_view timestamp, std::string_view body,
                           std::string& out) const {
  std::string content;
  content.reserve(webhook_id.size() + timestamp.size() + body.size() + 2);
  content.append(webhook_id).append(1, '.').append(timestamp).append(1, '.').append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &mac_length);
  out.append("webhook-signature: v1,").append(encode_base64(mac, mac_length)).append("\r\n");
}

}  // namespace webhook
