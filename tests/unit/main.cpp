#define BOOST_TEST_MODULE unit
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<std::string> environment() {
  std::vector<std::string> variables;
  for (char** v = environ; *v != nullptr; ++v) variables.emplace_back(*v);
  std::sort(variables.begin(), variables.end());
  return variables;
}

// The tests leave the environment as they found it (support/scoped_env.hpp):
// a variable one test sets changes what every test after it sees.
struct EnvironmentRestored {
  std::vector<std::string> before = environment();
  void setup() {}
  void teardown() {
    std::vector<std::string> after = environment(), changed;
    std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(changed));
    std::string list;
    for (const auto& v : changed) list += " " + v;
    BOOST_TEST(changed.empty(), "the tests left the environment changed:" << list);
  }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(EnvironmentRestored);
