// Secrets out of texts that leave the step (errors, logs, dead letters, the
// delivery log): the secret as configured, and every form the templates can
// make of it.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Every occurrence of `secret` in `text` replaced with "[REDACTED]". The
// search resumes after each replacement, so a secret that the mark itself
// contains ("E") is replaced once per occurrence, not forever.
void redact(std::string& text, std::string_view secret);

// The secrets of one step, each with the forms a template can render it in:
// the filters lower, upper, trim, urlencode and json (its escaped text) and
// chains of up to four of them, and the escaping of a URL, a form body and
// a JSON string. Built once, when the configuration is parsed.
class Redactor {
 public:
  void add(std::string_view secret);

  // Replaces every form of every secret in `text`. Forms shorter than
  // `min_length` are left alone (field names: a one-letter key would match
  // the schema's own words).
  void apply(std::string& text, std::size_t min_length = 0) const;

  bool empty() const { return forms_.empty(); }
  // The longest form: a text cut after N bytes must keep N + longest() - 1
  // bytes for redaction to see a secret that straddles the cut.
  std::size_t longest() const { return longest_; }

 private:
  std::vector<std::string> forms_;  // longest first, no duplicates
  std::array<bool, 256> first_bytes_{};  // the bytes a form starts with
  std::size_t shortest_ = 0;
  std::size_t longest_ = 0;
};

}  // namespace webhook
