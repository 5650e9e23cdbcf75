/*
 * output_step.h: a generic, versioned C ABI for "output steps": modules that a
 * workflow runner loads with dlopen and hands records to deliver somewhere
 * (a webhook, a queue, a file). Pure C11; compiles as C++ too.
 *
 * Shape (after CLAP): the module exports exactly one symbol,
 * `output_step_entry`, a const table whose first field is the ABI version.
 * Everything else is reached from it:
 *
 *     entry -> validate(config)            every configuration error at once
 *     entry -> create(host, config) -> step
 *     step  -> submit / flush / stats / get_extension / destroy
 *
 * Objects are structs of function pointers plus an opaque data pointer; every
 * function takes the object itself. No C++ type, exception or allocator
 * crosses the boundary: strings handed across are valid only for the call
 * (or callback) that carries them, unless said otherwise.
 *
 * Versioning: a host refuses a module whose `abi_version.major` differs from
 * the OUTPUT_STEP_ABI_MAJOR it was built with, and the module refuses a host
 * the same way (create fails and says why): both use
 * output_step_version_is_compatible below. The structs of this header are
 * frozen at ABI 1.1: nothing is ever added to them. What comes later comes
 * as string-identified, versioned extensions ("output-step.host-clock/1",
 * "output-step.host-io/1", "output-step.runtime/1" in ABI 1.2), each a
 * table whose first field is its `size` when it may grow.
 *
 * Threads. The first line of every function's comment says where it may be
 * called from:
 *   [any thread]          any thread, concurrently;
 *   [host thread]         a thread of the host that is not inside a
 *                         completion callback of the same step;
 *   [completion context]  called by the module: from a module thread, or
 *                         from the host thread inside poll, flush or
 *                         destroy (output-step.host-io/1).
 *
 * Ownership. A pointer handed across is borrowed for the call (or callback)
 * that carries it, unless its comment says otherwise. A table returned by
 * get_extension belongs to the side that returned it: it is static or lives
 * as long as the object it was asked of (the host, the step); the caller
 * neither frees nor modifies it.
 *
 * What a given module does with records (the webhook step: templates,
 * retries, its spool) is that module's documentation, not this header's.
 */
#ifndef OUTPUT_STEP_OUTPUT_STEP_H
#define OUTPUT_STEP_OUTPUT_STEP_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define OUTPUT_STEP_EXPORT __declspec(dllexport)
#else
#define OUTPUT_STEP_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define OUTPUT_STEP_ABI_MAJOR 1
#define OUTPUT_STEP_ABI_MINOR 2
#define OUTPUT_STEP_ABI_REVISION 0

typedef struct output_step_version {
  uint32_t major;
  uint32_t minor;
  uint32_t revision;
} output_step_version_t;

#define OUTPUT_STEP_ABI_VERSION_INIT \
  { OUTPUT_STEP_ABI_MAJOR, OUTPUT_STEP_ABI_MINOR, OUTPUT_STEP_ABI_REVISION }

/* [any thread] Whether a peer built against `version` can be used by code
 * built with this header: the same major version (a minor version only
 * adds extensions). Not exported: each side compiles its own copy. */
static inline int output_step_version_is_compatible(output_step_version_t version) {
  return version.major == OUTPUT_STEP_ABI_MAJOR;
}

/* Result of a call. */
typedef int32_t output_step_status_t;
enum {
  OUTPUT_STEP_OK = 0,
  /* submit: back-pressure; nothing (more) was accepted; try again after a
   * completion arrives. Never blocks. */
  OUTPUT_STEP_BUSY = 1,
  /* An argument was invalid (bad record JSON, NULL where not allowed). */
  OUTPUT_STEP_INVALID = 2,
  /* flush/destroy: the deadline passed first. */
  OUTPUT_STEP_TIMEOUT = 3,
  /* The step is shutting down and accepts nothing more. */
  OUTPUT_STEP_CLOSED = 4,
  /* Anything else; the host's log callback has been told why. */
  OUTPUT_STEP_ERROR = 5,
};

/* Final outcome of one accepted record. */
typedef int32_t output_step_outcome_t;
enum {
  OUTPUT_STEP_DELIVERED = 0,
  /* Finally failed and could not be dead-lettered (none configured, or the
   * dead-letter write failed; a module with a durable store keeps such a
   * record there for its next instance). */
  OUTPUT_STEP_FAILED = 1,
  /* Finally failed and written to the dead-letter file. */
  OUTPUT_STEP_DEAD_LETTERED = 2,
};

typedef int32_t output_step_log_level_t;
enum {
  OUTPUT_STEP_LOG_DEBUG = 0,
  OUTPUT_STEP_LOG_INFO = 1,
  OUTPUT_STEP_LOG_WARNING = 2,
  OUTPUT_STEP_LOG_ERROR = 3,
};

/* One record handed to submit. */
typedef struct output_step_record {
  /* UTF-8 JSON text of the record, not NUL-terminated; `size` bytes. The
   * module copies what it needs before submit returns. */
  const char *data;
  size_t size;
  /* The host's own identifier, echoed in the record's completion. */
  uint64_t token;
} output_step_record_t;

/* The token of a record recovered from a durable store: accepted by an
 * earlier instance, delivered by this one. */
#define OUTPUT_STEP_TOKEN_RECOVERED UINT64_MAX

/* The final report on one accepted record; exactly one per accepted record,
 * whatever happens (destroy included). */
typedef struct output_step_completion {
  uint64_t token;                /* as given at submit */
  output_step_outcome_t outcome; /* OUTPUT_STEP_DELIVERED, ... */
  int32_t http_status;           /* last HTTP status; 0 when none arrived */
  uint32_t attempts;             /* requests sent or tried; 0 if none */
  /* NUL-terminated, valid during the callback only. NULL when delivered.
   * Never contains a secret. */
  const char *error;
  /* NUL-terminated idempotency id the record was delivered under (the
   * module's documentation says where it is sent); valid during the
   * callback only; NULL when the module has none for the record. */
  const char *delivery_id;
} output_step_completion_t;

/* Provided by the host; must outlive the step created with it. */
typedef struct output_step_host {
  /* The ABI the host was built against: OUTPUT_STEP_ABI_VERSION_INIT. */
  output_step_version_t abi_version;
  /* Reserved for the host, never touched by the module. */
  void *host_data;
  /* Host name and version, for logs. NUL-terminated; may be NULL. */
  const char *name;

  /* [any thread] A log line from the module, possibly concurrently;
   * `message` is NUL-terminated and valid during the call. Never contains a
   * secret. May be NULL: the module then logs nothing. */
  void (*log)(const struct output_step_host *host, output_step_log_level_t level,
              const char *message);

  /* [completion context] The final report on one accepted record: from a
   * module thread (never from within submit), or from destroy's caller
   * during destroy; for a host that drives the step's I/O
   * (output-step.host-io/1), only from within poll, flush and destroy, on
   * the caller's thread. Calls are serialised per step. The host must not
   * call destroy or flush from inside it; it may call submit and stats.
   * `completion` is borrowed for the call. Must not be NULL. */
  void (*on_completion)(const struct output_step_host *host,
                        const output_step_completion_t *completion);

  /* [any thread] An extension the host offers, by id (e.g.
   * OUTPUT_STEP_EXT_HOST_CLOCK), or NULL. The table belongs to the host and
   * must stay valid, unchanged, as long as any step created with this host.
   * May be NULL: no extensions. */
  const void *(*get_extension)(const struct output_step_host *host, const char *id);
} output_step_host_t;

/* [the caller of validate or create] Receives one configuration error:
 * `field` is a dotted path into the
 * configuration ("activation.headers[3].name", "" for the whole), `message`
 * says what was wrong and what is allowed. Both NUL-terminated, valid during
 * the call. */
typedef void (*output_step_error_fn)(void *context, const char *field,
                                     const char *message);

/* A running instance of an output step. */
typedef struct output_step {
  /* Reserved for the module. */
  void *module_data;

  /* [any thread] Hands `count` records to the step, concurrently from any
   * number of threads (completion callbacks included). Accepts a prefix of them and stores
   * its length in `*accepted` (which must not be NULL). Returns
   *   OUTPUT_STEP_OK       when all `count` were accepted;
   *   OUTPUT_STEP_BUSY     when back-pressure stopped it after *accepted
   *                        (records in flight, or a full spool); a record
   *                        stops counting just after its completion's
   *                        callback returns, so wait for a completion or a
   *                        few ms, whichever comes first, then try again;
   *   OUTPUT_STEP_INVALID  when records[*accepted] is not one the step can
   *                        take: not a JSON object, larger than the step
   *                        allows, or carrying a field the step refuses
   *                        (the module's documentation lists them); the
   *                        rest are not accepted; the reason is logged;
   *   OUTPUT_STEP_CLOSED   after destroy has begun;
   *   OUTPUT_STEP_ERROR    when records[*accepted] could not be stored (a
   *                        durable store's write failed; logged); it is not
   *                        accepted.
   * Every accepted record gets exactly one completion later. Never blocks on
   * the network.
   *
   * For a module with a durable store, an accepted record is in the store
   * when submit returns and will be delivered, by this instance or by the
   * next one created over the same store, whatever happens to this process
   * (how durable, the module's documentation says). Without one, an
   * accepted record lives in memory until completed.
   * Hand over in one call the records that arrived together: a call may
   * wake the module's I/O thread, and under a steady load many small calls
   * cost wake-ups that one larger call does not. A host that drives the
   * step's I/O itself (output-step.host-io/1) wakes no other thread.
   * `records` and what they point to are borrowed for the call. */
  output_step_status_t (*submit)(const struct output_step *step,
                                 const output_step_record_t *records, size_t count,
                                 size_t *accepted);

  /* [host thread] Waits until every record accepted before the call has
   * completed, or `timeout_ms` milliseconds of real time pass.
   * OUTPUT_STEP_OK or OUTPUT_STEP_TIMEOUT (OUTPUT_STEP_ERROR, logged, should
   * the I/O it runs for a host driving it fail). */
  output_step_status_t (*flush)(const struct output_step *step, int64_t timeout_ms);

  /* [any thread] Writes the step's statistics as a JSON object,
   * NUL-terminated, into `buffer` of `capacity` bytes, snprintf-style:
   * returns the length the full text needs (without the NUL); the text is
   * complete only when that is < capacity. `buffer` may be NULL when
   * `capacity` is 0. Never contains a secret. */
  size_t (*stats)(const struct output_step *step, char *buffer, size_t capacity);

  /* [any thread] A step-side extension by id, or NULL. The table belongs to
   * the module and stays valid, unchanged, until destroy returns. */
  const void *(*get_extension)(const struct output_step *step, const char *id);

  /* [host thread] Stops accepting, drains what it can within `timeout_ms`
   * of real time, reports every record still unfinished through its
   * completion (the module's documentation says with which outcome), and
   * frees the step. When `unfinished` is not NULL it receives how many
   * records were cut short. The step pointer, and every table its
   * get_extension returned, are invalid afterwards. Call exactly once. */
  void (*destroy)(const struct output_step *step, int64_t timeout_ms,
                  uint64_t *unfinished);
} output_step_t;

/* The module's exported entry table: `output_step_entry`. */
typedef struct output_step_entry {
  /* The ABI the module implements; check `major` before anything else. */
  output_step_version_t abi_version;
  /* Stable id of the step kind ("webhook"), its human name and version;
   * NUL-terminated, static: valid as long as the module is loaded. */
  const char *id;
  const char *name;
  const char *version;

  /* [any thread] Checks a configuration (UTF-8 JSON, `size` bytes, borrowed)
   * without creating anything or touching the network. Calls `on_error`
   * (which may be NULL) once per error, all of them, before it returns.
   * Returns the number of errors (0: valid). */
  uint32_t (*validate)(const char *config, size_t size, output_step_error_fn on_error,
                       void *context);

  /* [any thread] Creates a step from a configuration (borrowed for the
   * call). On success returns the step, owned by the host until it calls
   * destroy; on failure returns NULL after reporting every error through
   * `on_error` (which may be NULL). `host` is borrowed and must outlive the
   * step; output_step_version_is_compatible(host->abi_version) must hold. */
  const output_step_t *(*create)(const output_step_host_t *host, const char *config,
                                 size_t size, output_step_error_fn on_error,
                                 void *context);
} output_step_entry_t;

/* The only symbol a module exports. */
#define OUTPUT_STEP_ENTRY_SYMBOL "output_step_entry"
OUTPUT_STEP_EXPORT extern const output_step_entry_t output_step_entry;

/* ------------------------------------------------------------------------ */
/* Extension "output-step.host-clock/1" (host side).                         */
/*                                                                          */
/* A host that runs on its own (e.g. simulated) time offers this. The step  */
/* then reads the time for every wait it makes (retry backoff, Retry-After, */
/* rate limiting, the timestamps it sends) from `now_ms`, and instead      */
/* of waiting on its own timers it calls `request_wakeup` and waits for the */
/* host to call the step's OUTPUT_STEP_EXT_CLOCK `on_time` once the host's  */
/* time has reached that instant. Network timeouts stay on real time.       */
/* ------------------------------------------------------------------------ */
#define OUTPUT_STEP_EXT_HOST_CLOCK "output-step.host-clock/1"

typedef struct output_step_host_clock {
  /* [any thread] The host's current time, milliseconds since the Unix
   * epoch. Never goes backwards. */
  int64_t (*now_ms)(const output_step_host_t *host);
  /* [completion context] The step wants `on_time` called once the host's
   * time is >= `at_ms`. Requests may repeat; a later `on_time` covers every
   * earlier request. Must not call into the step. */
  void (*request_wakeup)(const output_step_host_t *host, int64_t at_ms);
} output_step_host_clock_t;

/* Extension "output-step.clock/1" (step side), offered with the above. */
#define OUTPUT_STEP_EXT_CLOCK "output-step.clock/1"

typedef struct output_step_clock {
  /* [host thread] The host's time has advanced: the step re-reads now_ms
   * and runs every wait that is due. Cheap. */
  void (*on_time)(const output_step_t *step);
  /* [any thread] The earliest instant (host time, ms) for which the step
   * waits, or -1 when it waits for none. */
  int64_t (*next_wakeup_ms)(const output_step_t *step);
  /* [any thread] Records accepted and not yet completed, and how many of
   * them are only waiting for host time to pass (backoff, rate limit). A
   * host on simulated time may jump its clock to next_wakeup_ms when the
   * two are equal. Either pointer may be NULL (that count is not written). */
  void (*pending)(const output_step_t *step, uint64_t *unfinished, uint64_t *waiting);
} output_step_clock_t;

/* ------------------------------------------------------------------------ */
/* Extension "output-step.host-io/1" (host side).                            */
/*                                                                          */
/* A host whose thread has nothing to do between records but wait (a        */
/* single-threaded runner, an event loop) offers this to drive the step's   */
/* I/O itself. The step then starts no I/O thread of its own: it sends,     */
/* reads, retries and completes records only inside the calls of its        */
/* OUTPUT_STEP_EXT_IO extension (poll), flush and destroy, on the caller's  */
/* thread. A record then costs no thread wake-up between the host and the   */
/* step: the host's thread wakes once, for its next batch or for the        */
/* responses, whichever comes first. The host must call poll while records  */
/* are unfinished (back-pressure, timeouts and retries advance only there). */
/* A module that does not know this extension (ABI 1.0) offers no           */
/* OUTPUT_STEP_EXT_IO and runs its own thread, completions included: a host */
/* checks for OUTPUT_STEP_EXT_IO after create and falls back to that.       */
/* ------------------------------------------------------------------------ */
#define OUTPUT_STEP_EXT_HOST_IO "output-step.host-io/1"

typedef struct output_step_host_io {
  /* sizeof(output_step_host_io_t); later minor versions add fields after it. */
  uint32_t size;
} output_step_host_io_t;

/* Extension "output-step.io/1" (step side), offered with the above. */
#define OUTPUT_STEP_EXT_IO "output-step.io/1"

typedef struct output_step_io {
  /* [host thread] Does the step's pending work on the calling thread: takes the records
   * submitted since, sends them, reads responses, runs due retries and
   * timeouts, and calls on_completion for every record that finishes, all
   * before it returns. When nothing is ready it first waits up to
   * `timeout_us` microseconds (0: not at all) for something to be, and
   * returns once that is done: call it in a loop until the host's next
   * deadline. Returns how many records completed in the call. From one
   * host thread at a time (the host's loop); called from inside a
   * completion callback, or while another thread is in it, it returns 0 at
   * once. A submit from another thread wakes it. */
  size_t (*poll)(const output_step_t *step, int64_t timeout_us);
} output_step_io_t;

/* ------------------------------------------------------------------------ */
/* Extension "output-step.runtime/1" (host side).                            */
/*                                                                          */
/* A host that runs many steps of one module (hundreds to thousands of      */
/* activations) offers this so that they share one runtime instead of each */
/* starting its own thread and its own connections. Every step created     */
/* from a host that offers it with the same `key` runs on that key's        */
/* runtime: `io_threads` I/O threads for all of them (each step on one of   */
/* them), and connections pooled per connection key (everything that        */
/* shapes a connection: scheme, host, port, TLS settings, timeouts; two     */
/* steps whose settings differ in any of these never share a connection).   */
/* A host that also drives the I/O (output-step.host-io/1) or the time      */
/* (output-step.host-clock/1) shares a runtime only among the steps it      */
/* created itself (the same host pointer), and with host-io drives all of   */
/* them with one call: the step's OUTPUT_STEP_EXT_RUNTIME_IO `poll`. The    */
/* runtime lives while one of its steps does; the first step's settings     */
/* make it (a later step asking for other io_threads is told so in its log  */
/* and shares it as it is). Completions keep the rules above: from a        */
/* runtime thread, or with host-io from inside poll, flush and destroy; on  */
/* a runtime the host drives, each of these runs the I/O of every step on   */
/* it, so the completions of one step may arrive inside another's call.    */
/* What a module shares, and its limits, are the module's documentation.    */
/* A module that does not know this extension (ABI 1.1) runs each step on   */
/* its own, as before.                                                      */
/* ------------------------------------------------------------------------ */
#define OUTPUT_STEP_EXT_RUNTIME "output-step.runtime/1"

typedef struct output_step_runtime {
  /* sizeof(output_step_runtime_t); later minor versions add fields after it. */
  uint32_t size;
  /* I/O threads of the runtime, 1 to 64; 0 means 1. Ignored with host-io
   * (the host's thread is the one). */
  uint32_t io_threads;
  /* The runtime's name: steps whose hosts give the same key share it.
   * NUL-terminated; NULL means "". Read during create only. */
  const char *key;
} output_step_runtime_t;

/* Extension "output-step.runtime-io/1" (step side), offered by a step on a
 * shared runtime whose host drives the I/O (output-step.host-io/1). */
#define OUTPUT_STEP_EXT_RUNTIME_IO "output-step.runtime-io/1"

typedef struct output_step_runtime_io {
  /* sizeof(output_step_runtime_io_t). */
  uint32_t size;
  /* The runtime this step runs on: the same pointer for every step on it
   * (a host polls each distinct one). Valid while one of its steps is. */
  const void *runtime;
  /* [host thread] output-step.io/1's poll for every step on `runtime` at
   * once: their records sent, their responses read, their retries and
   * timeouts run, their completions called, on the calling thread. Waits
   * up to `timeout_us` when nothing is ready. Returns how many records
   * completed, of all of them. From one host thread at a time; from inside
   * a completion callback, or while another thread is in it (or in one of
   * its steps' poll or flush), it returns 0 at once. A submit to any of its
   * steps wakes it. */
  size_t (*poll)(const void *runtime, int64_t timeout_us);
} output_step_runtime_io_t;

#ifdef __cplusplus
}
#endif

#endif /* OUTPUT_STEP_OUTPUT_STEP_H */
