/* The public header compiles as C11 on its own, and its types are usable. */
#include "output_step/output_step.h"

#include <stdio.h>

static void on_completion(const output_step_host_t *host, const output_step_completion_t *completion) {
  (void)host;
  (void)completion;
}

int main(void) {
  output_step_host_t host = {OUTPUT_STEP_ABI_VERSION_INIT, NULL, "c11 host", NULL, on_completion, NULL};
  output_step_record_t record = {"{}", 2, 7};
  output_step_clock_t clock = {NULL, NULL, NULL};
  (void)clock;
  if (host.abi_version.major != OUTPUT_STEP_ABI_MAJOR || record.token != 7 ||
      sizeof(output_step_status_t) != 4 || sizeof(output_step_outcome_t) != 4) {
    fprintf(stderr, "unexpected ABI layout\n");
    return 1;
  }
  return 0;
}
