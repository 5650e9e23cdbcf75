"""Three output-runners share 100,000 records of one stream (--batch 64,
delivery.max_in_flight 256); one is killed with SIGKILL mid-stream. Every
record reaches webhook-mock; the duplicates are at most what the killed runner
held, and only of its entries; each event_id arrives under one webhook-id.

What a runner holds (pending in Redis under its name) is bounded: 256 in
flight, and a backlog read but not yet accepted, one batch from a read or,
when it claims entries other runners left idle (--claim-idle-ms), up to
five batches (it claims a batch at a time while the backlog is under four);
delivered entries are acknowledged with the next read, and no read happens
before the backlog is taken. So HELD_AT_MOST = 256 + 5 x 64 = 576 (a run held
327 once, above the 320 of in flight and one batch this test first assumed).

usage: test_scale_out.py BUILD_DIR [RECORDS]"""
import collections

HELD_AT_MOST = 256 + 5 * 64
import subprocess
import sys

from runner_support import Checks, Mock, Redis, Scratch, config, consume, publish, records, stop, summary, wait_for

COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000


def pending_event_ids(redis, consumer):
    """The event_ids of the entries in `consumer`'s pending list."""
    lines = redis.cli("XPENDING", "s", "g", "-", "+", "100000", consumer).splitlines()
    ids = lines[0::4]
    script = "".join(f"XRANGE s {i} {i}\n" for i in ids)
    out = subprocess.run(["redis-cli", "-p", str(redis.port)], input=script, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    import json
    return {json.loads(out[i + 2])["event_id"] for i in range(0, len(out) - 2, 3) if out[i + 1] == "record"}, len(ids)


def main():
    check = Checks()
    with Scratch() as scratch:
        redis = Redis(scratch)
        mock = Mock(scratch)
        cfg = config(scratch, mock.url, max_in_flight=256)
        published = publish(redis, "s", records(COUNT))
        check.that(published.returncode == 0 and f'"published":{COUNT}' in published.stdout,
                   f"publish: {published.stdout.strip()} {published.stderr.strip()}")
        runners = [consume(scratch, redis, "s", f"r{i}", [cfg], "--batch", "64", "--claim-idle-ms", "2000")
                   for i in (1, 2, 3)]
        wait_for(lambda: len(mock.requests()) >= COUNT // 5, 120, f"{COUNT // 5} deliveries")
        runners[1].kill()
        runners[1].wait()
        held, held_entries = pending_event_ids(redis, "r2")
        print(f"r2 killed holding {held_entries} entries", flush=True)
        check.that(0 < held_entries <= HELD_AT_MOST,
                   f"the killed runner held {held_entries} unacknowledged entries (<= {HELD_AT_MOST})")

        expected = {f"e-{i}" for i in range(1, COUNT + 1)}
        wait_for(lambda: {r[0] for r in mock.requests()} >= expected, 240, "every record at the endpoint")
        statuses = [stop(r) for r in (runners[0], runners[2])]
        summaries = [summary(scratch, r) for r in (runners[0], runners[2])]
        print(f"survivors: {summaries}", flush=True)
        check.that(statuses == [0, 0], f"the surviving runners exit 0 ({statuses})")
        check.that(sum(s["claimed"] for s in summaries) >= 1, "the survivors took the killed runner's entries over")

        requests = mock.requests()
        counts = collections.Counter(r[0] for r in requests)
        duplicates = {e for e, n in counts.items() if n > 1}
        check.that(set(counts) == expected, f"every event_id delivered ({len(set(counts))} of {COUNT}), no other")
        check.that(len(requests) - COUNT <= HELD_AT_MOST,
                   f"{len(requests) - COUNT} duplicate deliveries (<= {HELD_AT_MOST})")
        check.that(duplicates <= held, f"duplicates only of the killed runner's entries "
                                       f"({len(duplicates - held)} others)")
        ids = collections.defaultdict(set)
        for event_id, webhook_id, _ in requests:
            ids[event_id].add(webhook_id)
        check.that(all(len(v) == 1 for v in ids.values()), "each event_id under one webhook-id")
        check.that(redis.cli("XPENDING", "s", "g").splitlines()[0] == "0", "nothing left pending in the group")
    check.exit()


main()
