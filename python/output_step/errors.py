"""What the binding raises, and what it reports."""
from dataclasses import dataclass
from typing import List, Optional


@dataclass(frozen=True)
class ConfigError:
    """One configuration error: `field` is a dotted path into the
    configuration ("activation.headers[3].name", "" for the whole), `message`
    says what was wrong and what is allowed."""
    field: str
    message: str

    def __str__(self):
        return f"{self.field or '(top level)'}: {self.message}"


@dataclass(frozen=True)
class Completion:
    """The final report on one record: `outcome` is "delivered",
    "dead_lettered" or "failed"; `error` is None when delivered; `delivery_id`
    is the id it was delivered under (the webhook-id header), when there is one."""
    token: int
    outcome: str
    http_status: int
    attempts: int
    error: Optional[str]
    delivery_id: Optional[str]

    @property
    def delivered(self):
        return self.outcome == "delivered"


class OutputStepError(Exception):
    """A call the step did not carry out; the message says why."""


class ConfigurationError(OutputStepError, ValueError):
    """The module refused the configuration: `errors` lists every error."""

    def __init__(self, errors: List[ConfigError]):
        self.errors = errors
        super().__init__("invalid configuration: " + "; ".join(str(e) for e in errors))


class SubmitError(OutputStepError):
    """Part of a batch was not accepted. `futures` are those of the records
    that were (the batch's first ones, in order): they complete as any other."""

    def __init__(self, message, futures):
        self.futures = futures
        super().__init__(message)


class BusyError(SubmitError):
    """Back-pressure lasted longer than the timeout: the rest of the batch
    was not accepted; submit it again later."""


class InvalidRecordError(SubmitError, ValueError):
    """`index` is the first record of the batch the step refused (not a JSON
    object, too large, a field the step refuses); the rest were not accepted."""

    def __init__(self, message, futures, index):
        self.index = index
        super().__init__(message, futures)


class ClosedError(SubmitError):
    """The step is closed (close() was called): it accepts nothing more.
    From submit, `futures` are those of the batch's records accepted before."""

    def __init__(self, message, futures=()):
        super().__init__(message, list(futures))
