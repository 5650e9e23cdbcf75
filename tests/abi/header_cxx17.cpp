// The public header compiles as C++17 on its own, with extern "C" linkage.
#include "output_step/output_step.h"

#include <cstdint>
#include <type_traits>

static_assert(std::is_standard_layout_v<output_step_t>);
static_assert(std::is_standard_layout_v<output_step_entry_t>);
static_assert(std::is_same_v<output_step_status_t, std::int32_t>);
static_assert(OUTPUT_STEP_ABI_MAJOR == 1);

int main() {
  output_step_version_t v = OUTPUT_STEP_ABI_VERSION_INIT;
  return v.major == OUTPUT_STEP_ABI_MAJOR ? 0 : 1;
}
