#include <webhook/rendering/redact.hpp>

#include "template_parts.hpp"
#include "text_encoding.hpp"

#include <algorithm>
#include <array>
#include <functional>

namespace webhook {
namespace {

std::string percent_encoded(std::string_view s, bool form) {
  std::string out;
  append_percent_encoded(s, out, form);
  return out;
}

std::string json_escaped(std::string_view s) {
  std::string out;
  append_json_escaped(s, out);
  return out;
}

std::string cased(std::string_view s, bool upper) {
  std::string out(s);
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string trimmed(std::string_view s) { return std::string(template_detail::trim(s)); }

// What the template filters and escapings make of a text: the template's
// own functions, so that the two cannot drift apart.
const std::array<std::function<std::string(std::string_view)>, 6> kTransforms = {
    [](std::string_view s) { return cased(s, false); },
    [](std::string_view s) { return cased(s, true); },
    [](std::string_view s) { return trimmed(s); },
    [](std::string_view s) { return percent_encoded(s, false); },
    [](std::string_view s) { return percent_encoded(s, true); },
    [](std::string_view s) { return json_escaped(s); },
};

constexpr int kChainDepth = 4;

}  // namespace

void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedacted.size())) {
    text.replace(at, secret.size(), kRedacted);
  }
}

void Redactor::add(std::string_view secret) {
  if (secret.empty()) return;
  std::vector<std::string> generation{std::string(secret)};
  std::vector<std::string> all = generation;
  for (int depth = 0; depth < kChainDepth && !generation.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& form : generation) {
      for (const auto& transform : kTransforms) {
        std::string made = transform(form);
        if (made.empty() || std::find(all.begin(), all.end(), made) != all.end()) continue;
        all.push_back(made);
        next.push_back(std::move(made));
      }
    }
    generation = std::move(next);
  }
  for (auto& form : all) {
    if (std::find(forms_.begin(), forms_.end(), form) == forms_.end()) forms_.push_back(std::move(form));
  }
  // Longest first: a form that contains another is replaced whole.
  std::stable_sort(forms_.begin(), forms_.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
  longest_ = forms_.front().size();
  shortest_ = forms_.back().size();
  for (const auto& form : forms_) first_bytes_[static_cast<unsigned char>(form.front())] = true;
}

void Redactor::apply(std::string& text, std::size_t min_length) const {
  if (forms_.empty() || text.size() < shortest_) return;  // most texts ("", "ok"): nothing to look for
  // One pass over the text as it was: a mark already written is never
  // searched again (a form of one letter the mark contains, "E").
  std::string out;
  std::size_t copied = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::string* hit = nullptr;
    if (first_bytes_[static_cast<unsigned char>(text[at])]) {
      for (const auto& form : forms_) {  // longest first
        if (form.size() >= min_length && text.compare(at, form.size(), form) == 0) {
          hit = &form;
          break;
        }
      }
    }
    if (hit == nullptr) {
      ++at;
      continue;
    }
    out.append(text, copied, at - copied).append(kRedacted);
    at += hit->size();
    copied = at;
  }
  if (copied == 0) return;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

}  // namespace webhook
