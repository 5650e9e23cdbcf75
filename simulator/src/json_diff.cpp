#include "journey_sim/json_diff.hpp"

#include "webhook_mock/request_pattern.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace journey_sim {
namespace {

namespace json = boost::json;


// RFC 6901: '~' as "~0", '/' as "~1".
std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

class Differ {
 public:
  explicit Differ(const JsonDiffOptions& options) : options_(options) {}

  // A value as a line shows it: at most 80 characters.
  std::string shown(const json::value& v) const {
    std::string text = json::serialize(v);
    return text.size() > 80 ? shorten(text, 77, options_.secrets) + "..." : text;
  }

  // What equalToJson (webhook-mock's json_equal, with the pattern's flags)
  // finds unequal, explained part by part.
  void compare(const json::value& expected, const json::value& sent, const std::string& at) {
    if (equal(expected, sent)) return;
    if (expected.is_object() && sent.is_object()) return objects(expected.get_object(), sent.get_object(), at);
    if (expected.is_array() && sent.is_array()) return arrays(expected.get_array(), sent.get_array(), at);
    add(where(at) + ": expected " + shown(expected) + ", sent " + shown(sent));
  }

  std::vector<std::string> done() {
    if (count_ > options_.limit) lines_.push_back("(and " + std::to_string(count_ - options_.limit) + " more)");
    return std::move(lines_);
  }

 private:
  static std::string where(const std::string& at) { return at.empty() ? "(the whole body)" : at; }

  bool equal(const json::value& expected, const json::value& sent) const {
    return webhook_mock::json_equal(expected, sent, options_.ignore_array_order, options_.ignore_extra_elements);
  }

  void add(std::string line) {
    if (++count_ <= options_.limit) lines_.push_back(std::move(line));
  }

  void objects(const json::object& expected, const json::object& sent, const std::string& at) {
    for (const auto& m : expected) {
      const std::string here = at + "/" + pointer_token(m.key());
      if (const auto* other = sent.if_contains(m.key())) compare(m.value(), *other, here);
      else add(here + ": expected " + shown(m.value()) + ", not sent");
    }
    if (options_.ignore_extra_elements) return;
    for (const auto& m : sent) {
      if (!expected.contains(m.key())) add(at + "/" + pointer_token(m.key()) + ": sent " + shown(m.value()) + ", not expected");
    }
  }

  void arrays(const json::array& expected, const json::array& sent, const std::string& at) {
    if (options_.ignore_array_order) return unordered(expected, sent, at);
    if (options_.ignore_extra_elements) return in_order(expected, sent, at);
    const std::size_t common = std::min(expected.size(), sent.size());
    for (std::size_t i = 0; i < common; ++i) compare(expected[i], sent[i], at + "/" + std::to_string(i));
    for (std::size_t i = common; i < expected.size(); ++i) {
      add(at + "/" + std::to_string(i) + ": expected " + shown(expected[i]) + ", not sent");
    }
    if (options_.ignore_extra_elements) return;
    for (std::size_t i = common; i < sent.size(); ++i) {
      add(at + "/" + std::to_string(i) + ": sent " + shown(sent[i]) + ", not expected");
    }
  }

  // ignoreExtraElements on an ordered array: the expected elements appear in
  // their order, others may stand between them.
  void in_order(const json::array& expected, const json::array& sent, const std::string& at) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      while (j < sent.size() && !webhook_mock::json_equal(expected[i], sent[j], false, true)) ++j;
      if (j == sent.size()) {
        add(at + "/" + std::to_string(i) + ": expected " + shown(expected[i]) + ", not sent in this order");
        return;
      }
      ++j;
    }
  }

  void unordered(const json::array& expected, const json::array& sent, const std::string& at) {
    std::vector<bool> used(sent.size(), false);
    for (const auto& e : expected) {
      std::size_t i = 0;
      while (i < sent.size() && (used[i] || !equal(e, sent[i]))) ++i;
      if (i < sent.size()) used[i] = true;
      else add(where(at) + ": expected an element " + shown(e) + ", not sent");
    }
    if (options_.ignore_extra_elements) return;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      if (!used[i]) add(where(at) + ": sent an element " + shown(sent[i]) + ", not expected");
    }
  }

  const JsonDiffOptions& options_;
  std::vector<std::string> lines_;
  std::size_t count_ = 0;
};

}  // namespace

std::string shorten(const std::string& text, std::size_t limit, const std::vector<std::string>& secrets) {
  std::size_t cut = std::min(limit, text.size());
  for (bool moved = true; moved && cut < text.size();) {
    moved = false;
    for (const auto& secret : secrets) {
      if (secret.empty()) continue;
      // an occurrence that starts before the cut and ends after it
      const std::size_t from = cut >= secret.size() ? cut - secret.size() + 1 : 0;
      const std::size_t at = text.find(secret, from);
      if (at != std::string::npos && at < cut && at + secret.size() > cut) {
        cut = at;
        moved = true;
      }
    }
  }
  return text.substr(0, cut);
}

std::vector<std::string> json_diff(const json::value& expected, const json::value& sent, const JsonDiffOptions& options) {
  Differ differ(options);
  differ.compare(expected, sent, "");
  return differ.done();
}

}  // namespace journey_sim
