#include "webhook_mock/json_path.hpp"

namespace webhook_mock {
namespace {

namespace json = boost::json;

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

void descend(const json::value& v, std::vector<const json::value*>& out) {
  out.push_back(&v);
  if (const auto* o = v.if_object()) {
    for (const auto& m : *o) descend(m.value(), out);
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a) descend(e, out);
  }
}

}  // namespace

std::optional<JsonPath> JsonPath::compile(std::string_view e, std::string& error) {
  JsonPath path;
  path.expression_ = std::string(e);
  std::size_t i = 0;
  if (!e.empty() && e[0] == '$') ++i;
  auto fail = [&](const std::string& what) {
    error = "JSON path '" + std::string(e) + "': " + what + " at offset " + std::to_string(i) +
            " (supported: $, .name, ['name'], [N], [*], .*, ..name)";
    return std::nullopt;
  };
  while (i < e.size()) {
    if (e[i] == '.') {
      bool recursive = i + 1 < e.size() && e[i + 1] == '.';
      i += recursive ? 2 : 1;
      if (i < e.size() && e[i] == '*') {
        ++i;
        path.steps_.push_back({recursive ? Step::descend_wildcard : Step::wildcard, {}, 0});
        continue;
      }
      if (recursive && i < e.size() && e[i] == '[') {
        // "..[...]": recursive descent followed by a bracket step
        path.steps_.push_back({Step::descend_wildcard, {}, 0});
        continue;
      }
      std::size_t start = i;
      while (i < e.size() && is_name_char(e[i])) ++i;
      if (i == start) return fail("expected a member name");
      path.steps_.push_back({recursive ? Step::descend_member : Step::member, std::string(e.substr(start, i - start)), 0});
    } else if (e[i] == '[') {
      ++i;
      if (i < e.size() && (e[i] == '\'' || e[i] == '"')) {
        char quote = e[i++];
        std::string name;
        while (i < e.size() && e[i] != quote) {
          if (e[i] == '\\' && i + 1 < e.size()) ++i;
          name += e[i++];
        }
        if (i >= e.size()) return fail("unterminated quoted name");
        ++i;
        path.steps_.push_back({Step::member, name, 0});
      } else if (i < e.size() && e[i] == '*') {
        ++i;
        path.steps_.push_back({Step::wildcard, {}, 0});
      } else {
        std::size_t start = i;
        if (i < e.size() && e[i] == '-') ++i;
        while (i < e.size() && e[i] >= '0' && e[i] <= '9') ++i;
        if (i == start || (i == start + 1 && e[start] == '-')) return fail("expected an index, '*' or a quoted name");
        path.steps_.push_back({Step::array_index, {}, std::stoll(std::string(e.substr(start, i - start)))});
      }
      if (i >= e.size() || e[i] != ']') return fail("expected ']'");
      ++i;
    } else {
      return fail("unexpected '" + std::string(1, e[i]) + "'");
    }
  }
  return path;
}

std::vector<const json::value*> JsonPath::select(const json::value& root) const {
  std::vector<const json::value*> current{&root};
  for (const auto& step : steps_) {
    std::vector<const json::value*> next;
    for (const json::value* v : current) {
      switch (step.kind) {
        case Step::member:
          if (const auto* o = v->if_object()) {
            if (auto it = o->find(step.name); it != o->end()) next.push_back(&it->value());
          }
          break;
        case Step::array_index:
          if (const auto* a = v->if_array()) {
            long long n = static_cast<long long>(a->size());
            long long at = step.position < 0 ? n + step.position : step.position;
            if (at >= 0 && at < n) next.push_back(&(*a)[static_cast<std::size_t>(at)]);
          }
          break;
        case Step::wildcard:
          if (const auto* o = v->if_object()) {
            for (const auto& m : *o) next.push_back(&m.value());
          } else if (const auto* a = v->if_array()) {
            for (const auto& x : *a) next.push_back(&x);
          }
          break;
        case Step::descend_member: {
          std::vector<const json::value*> all;
          descend(*v, all);
          for (const json::value* x : all) {
            if (const auto* o = x->if_object()) {
              if (auto it = o->find(step.name); it != o->end()) next.push_back(&it->value());
            }
          }
          break;
        }
        case Step::descend_wildcard:
          descend(*v, next);
          break;
      }
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace webhook_mock
