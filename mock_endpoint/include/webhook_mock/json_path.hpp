// A JSONPath subset, as WireMock's matchesJsonPath uses it: `$`, member
// access (`.name`, `['name']`), array index (`[0]`, `[-1]`), wildcards
// (`.*`, `[*]`) and recursive descent (`..name`).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook_mock {

class JsonPath {
 public:
  // Compiles `expression`; nullopt with `error` when it is not in the subset.
  static std::optional<JsonPath> compile(std::string_view expression, std::string& error);

  // Every value the path selects in `root` (pointers into `root`).
  std::vector<const boost::json::value*> select(const boost::json::value& root) const;

  const std::string& expression() const { return expression_; }

 private:
  struct Step {
    enum Kind { member, array_index, wildcard, descend_member, descend_wildcard } kind;
    std::string name;
    long long position = 0;
  };
  std::string expression_;
  std::vector<Step> steps_;
};

}  // namespace webhook_mock
