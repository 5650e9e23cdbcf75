// An environment variable set (or unset) for one test, and put back as it
// was when the test ends, so that no test sees another's environment.
#pragma once

#include <stdlib.h>

#include <optional>
#include <string>

namespace test_support {

class ScopedEnv {
 public:
  // `value` nullptr: the variable is unset for the test.
  ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* previous = ::getenv(name_.c_str())) previous_ = previous;
    set(value);
  }
  ~ScopedEnv() { set(previous_ ? previous_->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const char* value) const {
    if (value != nullptr) ::setenv(name_.c_str(), value, 1);
    else ::unsetenv(name_.c_str());
  }

  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace test_support
