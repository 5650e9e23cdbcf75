"""Runs test_abi_conformance against one of the project's modules with its
receiver started here (webhook-mock, or a real redis-server), then reads back
what arrived. For the redis-stream module it also chains: journey-sim stream
appends records to a stream through it, and output-runner delivers that
stream through the webhook module.

usage: conformance.py BUILD_DIR CONFORMANCE_BINARY webhook|redis_stream"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "runner"))
from runner_support import (BUILD, PLUGIN, Checks, Mock, Redis, Scratch, config, consume, records, stop, summary,  # noqa
                            wait_for)

BINARY, KIND = sys.argv[2], sys.argv[3]
COUNT = 1000
SIM = os.path.join(BUILD, "simulator", "journey-sim")
REDIS_MODULE = os.path.join(BUILD, "runner", "redis_stream_output.so")


def conformance(check, module, good, bad, scratch):
    env = dict(os.environ, OUTPUT_STEP_MODULE=module, OUTPUT_STEP_CONFIG=good, OUTPUT_STEP_BAD_CONFIG=bad,
               OUTPUT_STEP_RECORDS=str(COUNT))
    result = subprocess.run([BINARY, "--log_level=warning"], env=env, capture_output=True, text=True, timeout=120)
    print(result.stdout + result.stderr, flush=True)
    check.that(result.returncode == 0, f"the ABI conformance cases pass against {os.path.basename(module)}")


def write(scratch, name, value):
    path = scratch.file(name)
    with open(path, "w") as f:
        json.dump(value, f)
    return path


def main():
    check = Checks()
    with Scratch() as scratch:
        if KIND == "webhook":
            mock = Mock(scratch)
            good = config(scratch, mock.url, name="conformance")
            bad = write(scratch, "bad.json", {"auth": {"url_prefix": 3}, "activation": {"method": "FETCH"}})
            conformance(check, PLUGIN, good, bad, scratch)
            got = {r[0] for r in mock.requests()}
            expected = {f"conf-{i}" for i in range(1, COUNT + 1)} | {"prefix-1"}  # the prefix case's one
            check.that(got == expected, f"webhook-mock received {len(got)} records, every one")
        else:
            redis = Redis(scratch)
            good = write(scratch, "good.json", {"url": redis.url, "stream": "conformance"})
            bad = write(scratch, "bad.json", {"url": "http://x", "strem": "typo", "max_in_flight": 0})
            conformance(check, REDIS_MODULE, good, bad, scratch)
            check.that(redis.cli("XLEN", "conformance") == str(COUNT + 1), "the stream holds every record")
            chain(check, scratch, redis)
    check.exit()


def chain(check, scratch, redis):
    """journey-sim stream -> redis_stream_output.so -> stream `next` -> output-runner -> webhook-mock."""
    cfg = write(scratch, "next.json", {"url": redis.url, "stream": "next", "activation": "chained"})
    sim = subprocess.run([SIM, "stream", "--plugin", REDIS_MODULE, "--config", cfg], input=records(200, "c"),
                         capture_output=True, text=True, timeout=60)
    check.that(sim.returncode == 0 and '"delivered":200' in sim.stdout,
               f"journey-sim stream loads redis_stream_output.so: {sim.stdout.strip()} {sim.stderr.strip()}")
    fields = redis.cli("XRANGE", "next", "-", "+", "COUNT", "1").splitlines()
    check.that(fields[1:] == ["record", records(1, "c").strip(), "activation", "chained"],
               f"each entry: the record as submitted, and the activation ({fields})")
    mock = Mock(scratch, "chain-mock")
    runner = consume(scratch, redis, "next", "chain", [config(scratch, mock.url, name="chained")])
    wait_for(lambda: len(mock.requests()) >= 200, 60, "the chained stream delivered")
    check.that(stop(runner) == 0, "output-runner delivered the chained stream, exit 0")
    check.that({r[0] for r in mock.requests()} == {f"c-{i}" for i in range(1, 201)}, "every chained record arrived")


main()
