"""What output-runner does when deliveries fail and entries are bad:
- an entry waiting out a Retry-After longer than --claim-idle-ms is not
  taken over by another runner while its owner lives;
- a FAILED record is not acknowledged: it comes back and is delivered under
  the same webhook-id;
- an entry delivered more than --max-deliveries times, and entries whose
  record is missing, invalid or for an activation the runner lacks, end in
  NAME:dead with their reason and are acknowledged.

usage: test_failures.py BUILD_DIR"""
import time

from runner_support import Checks, Mock, Redis, Scratch, config, consume, publish, records, stop, summary, wait_for

STUB_503 = {"request": {"method": "POST"}, "response": {"status": 503, "headers": {"Retry-After": "4"}}}
STUB_500 = {"request": {"method": "POST"}, "response": {"status": 500}}


def retry_after_is_not_taken_over(check, scratch, redis, mock):
    cfg = config(scratch, mock.url, name="patient", extra={"advanced": {"webhook_retry_count": 3}})
    mock.admin("POST", "/__admin/mappings", STUB_503)
    owner = consume(scratch, redis, "patient", "owner", [cfg], "--claim-idle-ms", "600")
    publish(redis, "patient", records(1, "p"))
    wait_for(lambda: len(mock.requests()) >= 1, 20, "the first attempt (503)")
    other = consume(scratch, redis, "patient", "other", [cfg], "--claim-idle-ms", "600")
    time.sleep(2.5)  # four claim intervals: the owner keeps refreshing the entry
    mock.admin("DELETE", "/__admin/mappings")
    wait_for(lambda: any(r[2] == 200 for r in mock.requests()), 20, "the retry after Retry-After (200)")
    statuses = [stop(owner), stop(other)]
    s_owner, s_other = summary(scratch, owner), summary(scratch, other)
    requests = mock.requests()
    check.that(statuses == [0, 0], f"both runners exit 0 ({statuses})")
    check.that(s_other["claimed"] == 0 and s_other["consumed"] == 0,
               f"the other runner took nothing over while the owner waited out Retry-After ({s_other})")
    check.that(s_owner["delivered"] == 1, f"the owner delivered it ({s_owner})")
    check.that([r[2] for r in requests] == [503, 200], f"one 503, then one 200: no duplicate ({requests})")


def failed_records_come_back(check, scratch, redis):
    mock = Mock(scratch, "mock-again")
    cfg = config(scratch, mock.url, name="again", extra={"advanced": {"webhook_retry_count": 0}},
                 body='{"profile": "{{profile.id}}"}')
    mock.admin("POST", "/__admin/mappings", STUB_500)
    runner = consume(scratch, redis, "again", "again", [cfg], "--claim-idle-ms", "500")
    publish(redis, "again", '{"profile": {"id": "no-event-id"}}\n')
    wait_for(lambda: len(mock.requests()) >= 1, 20, "the failed attempt (500)")
    mock.admin("DELETE", "/__admin/mappings")
    wait_for(lambda: any(r[2] == 200 for r in mock.requests()), 20, "the record, back, delivered")
    status = stop(runner)
    s = summary(scratch, runner)
    requests = mock.requests()
    check.that(s["failed"] == 1 and s["delivered"] == 1 and s["claimed"] == 1,
               f"failed once, not acknowledged, claimed back, delivered ({s})")
    check.that(status == 1, f"exit 1: one consumption failed ({status})")
    check.that(len(requests) == 2 and requests[0][1] == requests[1][1],
               f"both deliveries under one webhook-id (the entry's own, no event_id): {requests}")
    check.that(redis.cli("XPENDING", "again", "g").splitlines()[0] == "0", "nothing left pending")


def poison_entries_end_in_the_dead_stream(check, scratch, redis):
    mock = Mock(scratch, "mock-strict")
    cfg = config(scratch, mock.url, name="strict", extra={"advanced": {"webhook_retry_count": 0}})
    mock.admin("POST", "/__admin/mappings", STUB_500)
    redis.cli("XADD", "bad", "*", "record", "{not json")
    redis.cli("XADD", "bad", "*", "record", "[1, 2]")
    redis.cli("XADD", "bad", "*", "other", "field")
    redis.cli("XADD", "bad", "*", "record", '{"event_id": "x-1"}', "activation", "nope")
    redis.cli("XADD", "bad", "*", "record", '{"event_id": "always-500"}')
    redis.cli("XADD", "bad", "*", "record", '{"event_id": "x-2"}', "activation", "evil\n[error] forged line")
    runner = consume(scratch, redis, "bad", "strict", [cfg], "--claim-idle-ms", "500", "--max-deliveries", "1")
    wait_for(lambda: redis.cli("XLEN", "bad:dead") == "6", 30, "six entries in bad:dead")
    status = stop(runner)
    s = summary(scratch, runner)
    dead = redis.cli("XRANGE", "bad:dead", "-", "+")
    for reason in ["field 'record' is not valid JSON", "field 'record' is not a JSON object",
                   "the entry has no field 'record'", "the entry has activation 'nope'; this runner's activations: strict",
                   "delivered 2 times, more than --max-deliveries 1"]:
        check.that(reason in dead, f"bad:dead says: {reason}")
    check.that(redis.cli("XPENDING", "bad", "g").splitlines()[0] == "0", "the dead entries are acknowledged")
    check.that(s["dead_lettered"] == 6, f"the summary counts them dead-lettered ({s})")
    log = scratch.text("strict.err")
    check.that("\n[error] forged" not in log and "evil\\n[error] forged" in log,
               "an entry's activation name cannot forge a log line (escaped)")
    check.that(status == 1, f"exit 1: one record failed before it went to bad:dead ({status})")
    mock.admin("DELETE", "/__admin/mappings")


def main():
    check = Checks()
    with Scratch() as scratch:
        redis = Redis(scratch)
        mock = Mock(scratch)
        retry_after_is_not_taken_over(check, scratch, redis, mock)
        failed_records_come_back(check, scratch, redis)
        poison_entries_end_in_the_dead_stream(check, scratch, redis)
        leaked = [p.name for p in scratch.processes if "runner-test-key" in scratch.text(p.name + ".err")]
        check.that(not leaked, f"no API key in any runner's log ({leaked})")
    check.exit()


main()
