"""The Python binding (python/output_step) against the build's webhook module
and a real webhook-mock: validate, create, submit with Futures and
callbacks, back-pressure, refusals, host-io polling, stats, close, exit."""
import asyncio
import gc
import json
import logging
import os
import subprocess
import sys
import threading
import time
import weakref

import pytest

import output_step
from conftest import API_KEY, BUILD, MODULE, record

PYTHON_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")


def test_validate_returns_every_error_with_its_field(mock):
    assert output_step.validate(MODULE, mock.config()) == []
    bad = mock.config()
    bad["activation"]["method"] = "FETCH"
    del bad["auth"]["url_prefix"]
    assert output_step.validate(MODULE, json.dumps(mock.config()).encode()) == []  # bytes too
    errors = output_step.validate(MODULE, json.dumps(bad))  # JSON text as well as a dict
    fields = {e.field for e in errors}
    assert {"auth.url_prefix", "activation.method"} <= fields, errors
    assert all(e.message for e in errors)
    assert not any(API_KEY in str(e) for e in errors)


def test_an_invalid_configuration_raises_with_every_error(mock):
    bad = mock.config()
    bad["activation"]["method"] = "FETCH"
    with pytest.raises(output_step.ConfigurationError) as raised:
        output_step.OutputStep(MODULE, bad)
    assert [e.field for e in raised.value.errors] == ["activation.method"]
    assert "activation.method" in str(raised.value)


def test_not_a_module_is_refused_clearly(tmp_path):
    with pytest.raises(OSError):
        output_step.validate(str(tmp_path / "missing.so"), {})
    import _ctypes  # a shared library, but not an output-step module
    with pytest.raises(ValueError, match="not an output-step module"):
        output_step.validate(_ctypes.__file__, {})


def test_records_are_delivered_and_each_future_resolves(mock):
    with output_step.OutputStep(MODULE, mock.config()) as step:
        futures = step.submit([record(1), json.dumps(record(2)), json.dumps(record(3)).encode()])
        assert len(futures) == 3
        completions = [f.result(timeout=30) for f in futures]
        single = step.submit(record(4))[0].result(timeout=30)
    assert [c.outcome for c in completions + [single]] == ["delivered"] * 4
    assert all(c.http_status == 200 and c.attempts == 1 and c.error is None for c in completions)
    assert all(c.delivery_id.startswith("msg_") for c in completions)
    assert mock.count({"method": "POST", "urlPathPattern": "/py/u[1-4]",
                       "headers": {"Authorization": {"equalTo": "Bearer " + API_KEY}}}) == 4


def test_completions_arrive_on_the_modules_thread(mock):
    threads = []
    with output_step.OutputStep(MODULE, mock.config(), on_completion=lambda c: threads.append(
            threading.get_ident())) as step:
        for f in step.submit([record(i) for i in range(50)]):
            f.result(timeout=30)
    assert len(threads) == 50
    assert threading.get_ident() not in threads


def test_a_failed_delivery_says_why(mock):
    mock.stub({"request": {"urlPath": "/py/u7"}, "response": {"status": 400}})
    with output_step.OutputStep(MODULE, mock.config()) as step:
        completion = step.submit(record(7))[0].result(timeout=30)
    assert completion.outcome == "failed" and not completion.delivered
    assert completion.http_status == 400
    assert "400" in completion.error and API_KEY not in completion.error


def test_back_pressure_waits_or_raises_busy_with_what_was_accepted(mock):
    mock.stub({"request": {"urlPath": "/py/u0"}, "response": {"status": 200, "fixedDelayMilliseconds": 400}})
    with output_step.OutputStep(MODULE, mock.config(max_in_flight=1)) as step:
        first = step.submit(record(0))
        with pytest.raises(output_step.BusyError) as busy:
            step.submit([record(1), record(2)], timeout=0)
        assert busy.value.futures == []
        started = time.monotonic()
        waited = step.submit([record(1), record(2)], timeout=30)  # waits for room, record by record
        assert time.monotonic() - started >= 0.2
        assert [f.result(timeout=30).outcome for f in first + waited] == ["delivered"] * 3


def test_an_invalid_record_is_refused_with_its_index_and_reason(mock):
    with output_step.OutputStep(MODULE, mock.config()) as step:
        with pytest.raises(output_step.InvalidRecordError) as refused:
            step.submit([record(1), "[1, 2]", record(3)])
        assert refused.value.index == 1
        assert "JSON object" in str(refused.value)
        assert [f.result(timeout=30).outcome for f in refused.value.futures] == ["delivered"]
        assert step.stats()["submitted"] == 1


def test_stats_flush_and_close(mock):
    step = output_step.OutputStep(MODULE, mock.config())
    step.submit([record(i) for i in range(20)])
    assert step.flush(30) is True
    stats = step.stats()
    assert stats["delivered"] == 20 and stats["in_flight"] == 0
    assert step.close() == 0
    assert step.closed and step.close() == 0  # once closed, nothing more
    with pytest.raises(output_step.ClosedError):
        step.submit(record(1))


def test_close_completes_what_it_cuts_short(mock):
    mock.stub({"request": {"urlPath": "/py/u9"}, "response": {"status": 200, "fixedDelayMilliseconds": 3000}})
    step = output_step.OutputStep(MODULE, mock.config())
    future = step.submit(record(9))[0]
    assert step.close(timeout=0.1) == 1
    assert future.result(timeout=1).outcome == "failed"


def test_callbacks_survive_garbage_collection(mock):
    step = output_step.OutputStep(MODULE, mock.config())
    futures = step.submit([record(i) for i in range(10)])
    ref = weakref.ref(step)
    del step  # no reference of the test's own: the binding keeps the step open
    gc.collect()
    assert all(f.result(timeout=30).delivered for f in futures)
    assert ref() is not None
    ref().close()


def test_a_cancelled_future_still_gets_its_completion(mock):
    mock.stub({"request": {"urlPath": "/py/u1"}, "response": {"status": 200, "fixedDelayMilliseconds": 300}})
    seen = []
    with output_step.OutputStep(MODULE, mock.config(), on_completion=seen.append) as step:
        future = step.submit(record(1))[0]
        assert future.cancel() is False  # running: asyncio.wait_for's timeout cannot strand it
        assert future.result(timeout=30).delivered
        assert step.flush(30)
    assert [c.outcome for c in seen] == ["delivered"]


def test_inside_a_completion_callback_submit_never_waits_and_flush_is_refused(mock):
    outcomes = []

    def on_completion(completion):
        if completion.token != 1:
            return
        try:  # the record completing still holds the only slot: busy at once, not a hang
            step.submit(record(2))
            outcomes.append("accepted")
        except output_step.BusyError:
            outcomes.append("busy")
        try:
            step.flush(1)
        except output_step.OutputStepError as refused:
            outcomes.append(str(refused))

    step = output_step.OutputStep(MODULE, mock.config(max_in_flight=1), on_completion=on_completion)
    started = time.monotonic()
    step.submit(record(1))
    assert step.flush(30)
    assert time.monotonic() - started < 10
    assert outcomes[0] == "busy"
    assert "cannot be called from inside a completion callback" in outcomes[1]
    step.close()


def test_close_waits_for_calls_on_other_threads(mock):
    step = output_step.OutputStep(MODULE, mock.config(max_in_flight=4))
    futures, errors = [], []

    def keep_submitting():
        for i in range(100000):
            try:
                futures.extend(step.submit(record(i), timeout=None))
                step.stats()
            except output_step.ClosedError as closed:
                futures.extend(closed.futures)
                return
            except Exception as other:  # anything else is the defect
                errors.append(other)
                return

    threads = [threading.Thread(target=keep_submitting) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    step.close(timeout=5)
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert futures and all(f.done() for f in futures)  # every accepted record completed


def test_host_io_runs_only_inside_poll_on_the_calling_thread(mock):
    threads = []
    with output_step.OutputStep(MODULE, mock.config(max_in_flight=8), host_io=True,
                                on_completion=lambda c: threads.append(threading.get_ident())) as step:
        futures = step.submit([record(i) for i in range(40)], timeout=30)  # busy waits poll
        time.sleep(0.2)
        pending = sum(not f.done() for f in futures)
        assert pending > 0, "completions arrived without a poll"
        while not all(f.done() for f in futures):
            step.poll(0.05)
    assert set(threads) == {threading.get_ident()}
    assert all(f.result().delivered for f in futures)
    with output_step.OutputStep(MODULE, mock.config()) as threaded:
        with pytest.raises(output_step.OutputStepError, match="host_io=True"):
            threaded.poll()


def test_the_asyncio_example_delivers(mock):
    run = subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "examples", "asyncio_poll.py"), MODULE,
                          mock.base], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": PYTHON_DIR})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "delivered 100 of 100"
    assert mock.count({"method": "POST", "urlPathPattern": "/asyncio/.*"}) == 100


def test_the_log_goes_to_the_logger_without_secrets(mock, caplog):
    caplog.set_level(logging.DEBUG, logger="output_step")
    with output_step.OutputStep(MODULE, mock.config()) as step:
        with pytest.raises(output_step.InvalidRecordError):
            step.submit("not json")
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert not any(API_KEY in r.getMessage() for r in caplog.records)


def test_a_step_left_open_is_closed_before_the_interpreter_exits(mock, tmp_path):
    script = tmp_path / "left_open.py"
    script.write_text(f"""
import json, output_step
config = json.loads({json.dumps(json.dumps(mock.config()))})
step = output_step.OutputStep({MODULE!r}, config, on_completion=lambda c: print("completed", c.outcome, flush=True))
step.submit([{{"event_id": "x", "profile": {{"id": "slow"}}, "event": {{"name": "n"}}}}])
del step  # the last reference: the step lives on until exit
print("exiting", flush=True)
""")
    mock.stub({"request": {"urlPath": "/py/slow"}, "response": {"status": 200, "fixedDelayMilliseconds": 300}})
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": PYTHON_DIR})
    assert run.returncode == 0, run.stderr
    assert "Fatal Python error" not in run.stderr
    assert run.stdout.splitlines() == ["exiting", "completed delivered"]


def test_the_default_module_comes_from_the_environment(mock, monkeypatch):
    monkeypatch.setenv(output_step.MODULE_ENV, MODULE)
    assert output_step.default_module() == MODULE
    with output_step.OutputStep(None, mock.config()) as step:
        assert step.submit(record(1))[0].result(timeout=30).delivered
    monkeypatch.delenv(output_step.MODULE_ENV)
    monkeypatch.setenv("PKG_CONFIG_PATH", "/nonexistent")
    monkeypatch.setenv("PKG_CONFIG_LIBDIR", "/nonexistent")
    with pytest.raises(output_step.OutputStepError, match="pass the module's path"):
        output_step.validate(None, {})
