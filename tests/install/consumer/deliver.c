/* An out-of-tree runner built against an installed output-step package
 * (find_package(OutputStep) or pkg-config output-step): it loads the
 * installed webhook module with dlopen, delivers one record to ENDPOINT and
 * prints its outcome.
 *   deliver MODULE ENDPOINT        exit 0 when delivered */
#include <output_step/output_step.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int outcome = -1;

static void on_completion(const output_step_host_t *host, const output_step_completion_t *c) {
  (void)host;
  outcome = c->outcome;
  printf("outcome %d, HTTP %d, %u attempts%s%s\n", c->outcome, c->http_status, c->attempts, c->error ? ": " : "",
         c->error ? c->error : "");
}

static void on_error(void *context, const char *field, const char *message) {
  (void)context;
  fprintf(stderr, "config: %s: %s\n", field, message);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: deliver MODULE ENDPOINT\n");
    return 2;
  }
  void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (module == NULL) {
    fprintf(stderr, "deliver: %s\n", dlerror());
    return 2;
  }
  const output_step_entry_t *entry = (const output_step_entry_t *)dlsym(module, OUTPUT_STEP_ENTRY_SYMBOL);
  if (entry == NULL || entry->abi_version.major != OUTPUT_STEP_ABI_MAJOR) {
    fprintf(stderr, "deliver: %s is not an output-step module of ABI %d\n", argv[1], OUTPUT_STEP_ABI_MAJOR);
    return 2;
  }
  output_step_host_t host = {OUTPUT_STEP_ABI_VERSION_INIT, NULL, "deliver", NULL, on_completion, NULL};
  char config[1024];
  snprintf(config, sizeof config,
           "{\"auth\": {\"type\": \"td_webhook_out\", \"url_prefix\": \"%s/\", \"api_key\": \"installed-key\"},"
           " \"activation\": {\"name\": \"installed\", \"url\": \"%s/installed/{{profile.id}}\","
           " \"headers\": {\"Authorization\": \"Bearer {{auth.api_key}}\"}, \"body\": \"{{event.name}}\"}}",
           argv[2], argv[2]);
  const output_step_t *step = entry->create(&host, config, strlen(config), on_error, NULL);
  if (step == NULL) return 2;
  const char *json = "{\"event_id\": \"e1\", \"profile\": {\"id\": \"u1\"}, \"event\": {\"name\": \"purchase\"}}";
  output_step_record_t record = {json, strlen(json), 1};
  size_t accepted = 0;
  const output_step_status_t status = step->submit(step, &record, 1, &accepted);
  if (status != OUTPUT_STEP_OK) fprintf(stderr, "deliver: submit answered %d\n", status);
  step->flush(step, 30000);
  uint64_t unfinished = 0;
  step->destroy(step, 5000, &unfinished);
  dlclose(module);
  return outcome == OUTPUT_STEP_DELIVERED ? 0 : 1;
}
