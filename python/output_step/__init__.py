"""Host output-step modules from Python through their C ABI (ctypes, the
standard library only): validate a configuration, create a step, submit
records, get a Future per record.

    import output_step
    errors = output_step.validate(None, config)          # [] when valid
    with output_step.OutputStep(None, config) as step:   # None: the installed module
        futures = step.submit([{"event_id": "e1", "profile": {"id": "u1"}}])
        print(futures[0].result(timeout=30))             # Completion(outcome='delivered', ...)

Threads: completions arrive on the module's own thread (or, with
host_io=True, inside poll/flush/close on the calling thread); the callbacks
take the GIL, so a Future or a callback is safe to use from there. The
module's log goes to the `output_step` logger (never with a secret in it)."""
import atexit
import os
import shutil
import subprocess

from . import _abi
from .errors import (BusyError, ClosedError, Completion, ConfigError, ConfigurationError, InvalidRecordError,
                     OutputStepError, SubmitError)
from .step import OutputStep, _open_steps, collect_errors, json_bytes

__version__ = "0.2.0"
__all__ = ["validate", "OutputStep", "default_module", "resolve_module", "Completion", "ConfigError",
           "OutputStepError", "ConfigurationError", "SubmitError", "BusyError", "InvalidRecordError", "ClosedError"]

MODULE_ENV = "OUTPUT_STEP_MODULE"


def default_module():
    """The webhook module's path: $OUTPUT_STEP_MODULE when set, else the
    installed one (pkg-config's `webhook_module` of output-step); None when
    neither says."""
    if os.environ.get(MODULE_ENV):
        return os.environ[MODULE_ENV]
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return None
    found = subprocess.run([pkg_config, "--variable=webhook_module", "output-step"], capture_output=True, text=True)
    path = found.stdout.strip()
    return path if found.returncode == 0 and path else None


def resolve_module(module_path):
    """`module_path`, or the default module when it is None."""
    if module_path is not None:
        return os.fspath(module_path)
    path = default_module()
    if path is None:
        raise OutputStepError(f"no module path given, ${MODULE_ENV} unset, and pkg-config finds no output-step "
                              "(install the webhook-output package, or pass the module's path)")
    return path


def validate(module_path, config):
    """Every error of `config` (a dict or JSON text) as the module at
    `module_path` (None: the default module) sees it, each with its field;
    [] when it is valid. Creates nothing and touches no network."""
    entry = _abi.load(resolve_module(module_path))
    errors, on_error = collect_errors()
    text = json_bytes(config)
    entry.validate(text, len(text), on_error, None)
    return errors


@atexit.register
def _close_open_steps():
    # Before the interpreter finalises: no module thread calls into it after.
    for step in list(_open_steps):
        step.close()
