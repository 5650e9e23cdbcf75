// Secrets out of texts that leave the step (errors, logs, dead letters).
#pragma once

#include <string>
#include <string_view>

namespace webhook {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Every occurrence of `secret` in `text` replaced with "[REDACTED]". The
// search resumes after each replacement, so a secret that the mark itself
// contains ("E") is replaced once per occurrence, not forever.
inline void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedacted.size())) {
    text.replace(at, secret.size(), kRedacted);
  }
}

}  // namespace webhook
