"""OutputStep: one step of an output-step module, hosted from Python."""
import concurrent.futures
import ctypes
import json
import logging
import threading
import time
import weakref

from . import _abi
from .errors import (BusyError, ClosedError, Completion, ConfigError, ConfigurationError, InvalidRecordError,
                     OutputStepError, SubmitError)

log = logging.getLogger("output_step")
_LOG_LEVELS = {_abi.LOG_DEBUG: logging.DEBUG, _abi.LOG_INFO: logging.INFO, _abi.LOG_WARNING: logging.WARNING,
               _abi.LOG_ERROR: logging.ERROR}
# Every step not yet closed, held here: one lives until close() or until the
# interpreter exits (the package's atexit closes it first), never collected
# while the module's threads may still call into it.
_open_steps = set()


def json_bytes(value):
    """A configuration or a record as the module reads it: JSON text (str or
    bytes) as is, anything else (a dict) as JSON."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")


def collect_errors():
    """An error callback for validate/create, and the list it fills."""
    errors = []

    def on_error(_context, field, message):
        errors.append(ConfigError(field.decode("utf-8", "replace"), message.decode("utf-8", "replace")))

    return errors, _abi.ERROR_FN(on_error)


class OutputStep:
    """A running step of the module at `module_path`, created from `config`
    (a dict or JSON text); ConfigurationError lists every error otherwise.

    Completions come from the step's own thread (the module's), one per
    accepted record: each resolves its record's Future and, when given, calls
    `on_completion(completion)` on that thread. With `host_io=True` the step
    starts no thread: its I/O runs only inside poll(), flush() and close(),
    and completions arrive there, on the calling thread.

    Use it as a context manager, or call close(): a step lives until then
    (dropping the last reference does not end it), and one still open when
    the interpreter exits is closed first."""

    def __init__(self, module_path, config, *, on_completion=None, host_io=False, name="output-step-python"):
        from . import resolve_module  # the default module path
        self._entry = _abi.load(resolve_module(module_path))
        self._on_completion = on_completion
        self._lock = threading.Lock()
        self._completed = threading.Condition(self._lock)
        self._futures = {}
        self._next_token = 1
        self._done = 0
        self._local = threading.local()
        self._step = None
        self._closing = False
        self._users = 0  # calls into the step in progress; destroy waits for them
        self._make_host(name, host_io)
        errors, on_error = collect_errors()
        text = json_bytes(config)
        step = self._entry.create(ctypes.byref(self._host), text, len(text), on_error, None)
        if not step:
            raise ConfigurationError(errors)
        self._step = step
        self._functions = step.contents  # its function pointers, read once
        io = self._functions.get_extension(step, _abi.EXT_IO) if host_io else None
        if host_io and not io:
            self._destroy(0)
            raise OutputStepError("the module offers no output-step.io/1: it cannot run with host_io=True")
        self._io = ctypes.cast(io, ctypes.POINTER(_abi.StepIo)).contents if io else None
        _open_steps.add(self)

    def _make_host(self, name, host_io):
        # The callbacks hold the step weakly (no cycle) and stay alive as long
        # as the step: the module calls them until destroy returns.
        me = weakref.ref(self)

        def on_log(_host, level, message):
            text = message.decode("utf-8", "replace")
            step = me()
            if step is not None:
                step._local.last_log = text
            log.log(_LOG_LEVELS.get(level, logging.ERROR), "%s", text)

        def on_completion(_host, completion):
            step = me()
            if step is not None:
                step._complete(completion.contents)

        self._host_io = _abi.HostIo(ctypes.sizeof(_abi.HostIo))
        host_io_address = ctypes.addressof(self._host_io)

        def get_extension(_host, ext_id):
            return host_io_address if host_io and ext_id == _abi.EXT_HOST_IO else None

        self._callbacks = (_abi.LOG_FN(on_log), _abi.COMPLETION_FN(on_completion),
                           _abi.HOST_EXTENSION_FN(get_extension))
        self._name = name.encode("utf-8")
        self._host = _abi.Host(_abi.Version(_abi.ABI_MAJOR, _abi.ABI_MINOR, _abi.ABI_REVISION), None, self._name,
                               *self._callbacks)

    def _complete(self, c):
        completion = Completion(c.token, _abi.OUTCOME_NAMES.get(c.outcome, "failed"), c.http_status, c.attempts,
                                c.error.decode("utf-8", "replace") if c.error else None,
                                c.delivery_id.decode("utf-8", "replace") if c.delivery_id else None)
        with self._lock:
            future = self._futures.pop(c.token, None)
            self._done += 1
            self._completed.notify_all()
        self._local.in_completion = True
        try:
            if future is not None:
                future.set_result(completion)
            if self._on_completion is not None:
                try:
                    self._on_completion(completion)
                except Exception:  # never into the module's thread
                    log.exception("on_completion raised")
        finally:
            self._local.in_completion = False

    # ---- calls into the step ----------------------------------------------
    def _enter(self, futures=()):
        """The step for one call; close() waits until the call has left."""
        with self._lock:
            if self._step is None or self._closing:
                raise ClosedError("the step is closed", list(futures))
            self._users += 1
            return self._step

    def _leave(self):
        with self._lock:
            self._users -= 1
            self._completed.notify_all()

    def _in_completion(self):
        return getattr(self._local, "in_completion", False)

    def _not_in_completion(self, what):
        if self._in_completion():
            raise OutputStepError(f"{what}() cannot be called from inside a completion callback "
                                  "(it waits for completions, which come one at a time)")

    # ---- submitting -------------------------------------------------------
    def submit(self, records, timeout=None):
        """Hands records to the step (a list of dicts, JSON strings or bytes;
        a single one is a list of one) and returns a Future per record, which
        resolves to its Completion. While the step is busy it waits for
        completions, up to `timeout` seconds (None: as long as it takes; 0:
        not at all); then BusyError, holding the futures of what was accepted.
        InvalidRecordError for a record the step refuses (its reason), ClosedError
        once closed. Called from inside a completion callback it never waits
        (the record it would wait for is the one completing): busy there is
        BusyError at once."""
        if isinstance(records, (dict, str, bytes)):
            records = [records]
        data = [json_bytes(r) for r in records]
        if self._in_completion():
            timeout = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        futures = []
        while len(futures) < len(data):
            seen = self._done  # before the try: a completion after it ends the wait
            status = self._submit_some(data[len(futures):], futures)
            if status == _abi.OK:
                break
            if status == _abi.BUSY:
                if deadline is not None and time.monotonic() >= deadline:
                    raise BusyError(f"busy: {len(futures)} of {len(data)} records accepted within {timeout} s",
                                    futures)
                self._wait_for_room(deadline, seen)
                continue
            self._raise_refusal(status, futures, len(futures))
        return futures

    def _submit_some(self, data, futures):
        step = self._enter(futures)
        try:
            return self._submit_to(step, data, futures)
        finally:
            self._leave()

    def _submit_to(self, step, data, futures):
        with self._lock:
            first = self._next_token
            self._next_token += len(data)
            pending = [concurrent.futures.Future() for _ in data]
            for i, f in enumerate(pending):
                # Running: a caller's cancel() (asyncio.wait_for's timeout)
                # cannot leave it unresolvable by its completion.
                f.set_running_or_notify_cancel()
                self._futures[first + i] = f
        batch = (_abi.Record * len(data))(*[_abi.Record(ctypes.cast(ctypes.c_char_p(d), ctypes.c_void_p), len(d),
                                                        first + i) for i, d in enumerate(data)])
        accepted = ctypes.c_size_t(0)
        self._local.last_log = None
        status = self._functions.submit(step, batch, len(data), ctypes.byref(accepted))
        with self._lock:  # tokens not accepted will never complete
            for i in range(accepted.value, len(data)):
                self._futures.pop(first + i, None)
        futures.extend(pending[:accepted.value])
        return status

    def _wait_for_room(self, deadline, seen):
        # A completion since `seen`, or a few ms: a record stops counting just
        # after its completion's callback returns (the ABI's rule for BUSY).
        wait = 0.02 if deadline is None else max(0.0, min(0.02, deadline - time.monotonic()))
        if self._io is not None:
            self.poll(wait)
            return
        with self._lock:
            self._completed.wait_for(lambda: self._done != seen, wait)

    def _raise_refusal(self, status, futures, index):
        reason = getattr(self._local, "last_log", None)
        why = f": {reason}" if reason else ""
        if status == _abi.INVALID:
            raise InvalidRecordError(f"record {index} refused{why}", futures, index)
        if status == _abi.CLOSED:
            raise ClosedError("the step is closed", futures)
        raise SubmitError(f"record {index} not accepted (status {status}){why}", futures)

    # ---- the rest ---------------------------------------------------------
    def poll(self, timeout=0.0):
        """With host_io=True: runs the step's I/O on this thread (sends,
        reads, retries, completions), waiting up to `timeout` seconds when
        nothing is ready. Returns how many records completed."""
        if self._io is None:
            raise OutputStepError("poll() is for a step made with host_io=True")
        step = self._enter()
        try:
            return self._io.poll(step, int(timeout * 1_000_000))
        finally:
            self._leave()

    def flush(self, timeout=30.0):
        """Waits until every record submitted so far has completed, up to
        `timeout` seconds: True when they all did."""
        self._not_in_completion("flush")
        step = self._enter()
        try:
            return self._functions.flush(step, int(timeout * 1000)) == _abi.OK
        finally:
            self._leave()

    def stats(self):
        """The step's statistics (submitted, delivered, retried, latencies...)."""
        step = self._enter()
        try:
            capacity = 1024
            while True:  # counters may grow between two calls: until it fits
                buffer = ctypes.create_string_buffer(capacity)
                need = self._functions.stats(step, buffer, capacity)
                if need < capacity:
                    return json.loads(buffer.value.decode("utf-8"))
                capacity = need + 256
        finally:
            self._leave()

    def close(self, timeout=5.0):
        """Stops the step: drains what it can within `timeout` seconds, and
        completes every record still unfinished (its Future too). Returns how
        many were cut short. Once closed, further calls do nothing; calls in
        progress on other threads finish first. Not from inside a completion
        callback."""
        self._not_in_completion("close")
        return self._destroy(int(timeout * 1000))

    def _destroy(self, timeout_ms):
        with self._lock:
            if self._step is None or self._closing:
                return 0
            self._closing = True
            self._completed.wait_for(lambda: self._users == 0)
            step = self._step
        unfinished = ctypes.c_uint64(0)
        self._functions.destroy(step, timeout_ms, ctypes.byref(unfinished))
        with self._lock:
            self._step = None
        _open_steps.discard(self)
        return unfinished.value

    @property
    def closed(self):
        return self._step is None or self._closing

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
