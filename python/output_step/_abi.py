"""The output-step C ABI (output_step/output_step.h, ABI 1.x) in ctypes, and
loading a module: dlopen of its path, its one entry symbol, the major
version checked. Nothing here is public; see the package's docstring."""
import ctypes
import os

ABI_MAJOR, ABI_MINOR, ABI_REVISION = 1, 2, 0
ENTRY_SYMBOL = "output_step_entry"
EXT_HOST_IO = b"output-step.host-io/1"
EXT_IO = b"output-step.io/1"

OK, BUSY, INVALID, TIMEOUT, CLOSED, ERROR = range(6)
DELIVERED, FAILED, DEAD_LETTERED = 0, 1, 2
OUTCOME_NAMES = {DELIVERED: "delivered", FAILED: "failed", DEAD_LETTERED: "dead_lettered"}
LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR = range(4)


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32), ("revision", ctypes.c_uint32)]


class Completion(ctypes.Structure):
    _fields_ = [("token", ctypes.c_uint64), ("outcome", ctypes.c_int32), ("http_status", ctypes.c_int32),
                ("attempts", ctypes.c_uint32), ("error", ctypes.c_char_p), ("delivery_id", ctypes.c_char_p)]


class Record(ctypes.Structure):
    # data as a pointer, not c_char_p: the bytes are borrowed for the call.
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t), ("token", ctypes.c_uint64)]


class Host(ctypes.Structure):
    pass


class Step(ctypes.Structure):
    pass


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Host), ctypes.c_int32, ctypes.c_char_p)
COMPLETION_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Host), ctypes.POINTER(Completion))
HOST_EXTENSION_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(Host), ctypes.c_char_p)
ERROR_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)

Host._fields_ = [("abi_version", Version), ("host_data", ctypes.c_void_p), ("name", ctypes.c_char_p),
                 ("log", LOG_FN), ("on_completion", COMPLETION_FN), ("get_extension", HOST_EXTENSION_FN)]

STEP_P = ctypes.POINTER(Step)
Step._fields_ = [
    ("module_data", ctypes.c_void_p),
    ("submit", ctypes.CFUNCTYPE(ctypes.c_int32, STEP_P, ctypes.POINTER(Record), ctypes.c_size_t,
                                ctypes.POINTER(ctypes.c_size_t))),
    ("flush", ctypes.CFUNCTYPE(ctypes.c_int32, STEP_P, ctypes.c_int64)),
    ("stats", ctypes.CFUNCTYPE(ctypes.c_size_t, STEP_P, ctypes.c_char_p, ctypes.c_size_t)),
    ("get_extension", ctypes.CFUNCTYPE(ctypes.c_void_p, STEP_P, ctypes.c_char_p)),
    ("destroy", ctypes.CFUNCTYPE(None, STEP_P, ctypes.c_int64, ctypes.POINTER(ctypes.c_uint64))),
]


class Entry(ctypes.Structure):
    _fields_ = [
        ("abi_version", Version), ("id", ctypes.c_char_p), ("name", ctypes.c_char_p), ("version", ctypes.c_char_p),
        ("validate", ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t, ERROR_FN, ctypes.c_void_p)),
        ("create", ctypes.CFUNCTYPE(STEP_P, ctypes.POINTER(Host), ctypes.c_char_p, ctypes.c_size_t, ERROR_FN,
                                    ctypes.c_void_p)),
    ]


class HostIo(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32)]


class StepIo(ctypes.Structure):
    _fields_ = [("poll", ctypes.CFUNCTYPE(ctypes.c_size_t, STEP_P, ctypes.c_int64))]


_modules = {}  # real path -> (CDLL, Entry): a module is loaded once and never unloaded


def load(path):
    """The module's entry table; ValueError when `path` is not an output-step
    module of this ABI's major version, OSError when it cannot be loaded."""
    real = os.path.realpath(path)
    if real in _modules:
        return _modules[real][1]
    library = ctypes.CDLL(real, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    try:
        entry = Entry.in_dll(library, ENTRY_SYMBOL)
    except ValueError:
        raise ValueError(f"{path}: not an output-step module (no symbol {ENTRY_SYMBOL})") from None
    if entry.abi_version.major != ABI_MAJOR:
        raise ValueError(f"{path}: output-step ABI {entry.abi_version.major}.{entry.abi_version.minor}; "
                         f"this binding speaks {ABI_MAJOR}.x")
    _modules[real] = (library, entry)
    return entry
