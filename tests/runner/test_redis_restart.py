"""Redis killed with SIGKILL mid-stream and restarted on its AOF
(appendfsync always): the runner reconnects with backoff, resumes, and
nothing is lost; it then exits 0 on SIGTERM with every entry acknowledged.

usage: test_redis_restart.py BUILD_DIR"""
import time

from runner_support import Checks, Mock, Redis, Scratch, config, consume, publish, records, stop, summary, wait_for

COUNT = 20_000
SLOW = {"request": {"method": "POST"}, "response": {"status": 200, "fixedDelayMilliseconds": 10}}


def main():
    check = Checks()
    with Scratch() as scratch:
        redis = Redis(scratch, aof=True)
        mock = Mock(scratch)
        mock.admin("POST", "/__admin/mappings", SLOW)
        cfg = config(scratch, mock.url, extra={"delivery": {"concurrency": 16}})
        check.that(publish(redis, "s", records(COUNT)).returncode == 0, "published")
        runner = consume(scratch, redis, "s", "r1", [cfg], "--batch", "64")
        wait_for(lambda: len(mock.requests()) >= COUNT // 5, 60, "a fifth delivered")
        redis.kill9()
        time.sleep(1.0)  # deliveries go on; acknowledgements wait
        redis.start()
        expected = {f"e-{i}" for i in range(1, COUNT + 1)}
        wait_for(lambda: {r[0] for r in mock.requests()} >= expected, 120, "every record at the endpoint")
        wait_for(lambda: redis.cli("XPENDING", "s", "g").splitlines()[0] == "0", 30, "every entry acknowledged")
        status = stop(runner)
        s = summary(scratch, runner)
        log = scratch.text("r1.err")
        print(f"summary: {s}", flush=True)
        check.that("reconnect" in log, "the runner logged the outage and its reconnection")
        check.that(status == 0, f"exit 0 ({status}); log: {log[-500:]}")
        check.that({r[0] for r in mock.requests()} == expected, "nothing lost")
        # The runner held every entry through the outage: it delivers none twice
        # (the acknowledgements it could not send go first, then its own history).
        check.that(len(mock.requests()) == COUNT and s["consumed"] == COUNT,
                   f"no entry delivered twice ({len(mock.requests()) - COUNT} duplicates)")
        check.that(redis.cli("XLEN", "s") == str(COUNT), "the stream survived on its AOF")
    check.exit()


main()
