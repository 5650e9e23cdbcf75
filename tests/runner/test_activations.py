"""Several activations in one output-runner: each entry goes to the
activation its field `activation` names (output-runner publish --activation),
and they all share one runtime (output-step.runtime/1): three activations run
on as many threads as one.

usage: test_activations.py BUILD_DIR"""
import collections
import json

from runner_support import Checks, Mock, Redis, Scratch, consume, publish, records, stop, summary, wait_for


def write_config(scratch, mock, name):
    c = {"auth": {"url_prefix": mock.url + "/", "api_key": "runner-test-key"},
         "activation": {"name": name, "url": mock.url + "/" + name, "body": '{"event_id": "{{event_id}}"}'}}
    path = scratch.file(name + ".json")
    with open(path, "w") as f:
        json.dump(c, f)
    return path


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(l for l in f if l.startswith("Threads:")).split()[1])


def main():
    check = Checks()
    with Scratch() as scratch:
        redis = Redis(scratch)
        mock = Mock(scratch)
        configs = [write_config(scratch, mock, n) for n in ("a1", "a2", "a3")]
        for name in ("a1", "a2", "a3"):
            result = publish(redis, "s", records(100, name), extra=["--activation", name])
            check.that(result.returncode == 0, f"published 100 for {name}")
        many = consume(scratch, redis, "s", "many", configs)
        wait_for(lambda: len(mock.requests()) >= 300, 30, "300 deliveries")
        paths = collections.Counter()
        with open(mock.journal) as f:
            for line in f:
                request = json.loads(line)["request"]
                paths[(request["url"], json.loads(request["body"])["event_id"].split("-")[0])] += 1
        check.that(paths == {("/a1", "a1"): 100, ("/a2", "a2"): 100, ("/a3", "a3"): 100},
                   f"each entry delivered by the activation it names ({dict(paths)})")
        three = threads(many.pid)
        one = consume(scratch, redis, "other", "one", configs[:1])
        wait_for(lambda: "output-runner" in open(f"/proc/{one.pid}/comm").read(), 5, "the second runner")
        publish(redis, "other", records(10, "o"))
        wait_for(lambda: len(mock.requests()) >= 310, 30, "the second runner's deliveries")
        single = threads(one.pid)
        check.that(three == single, f"three activations on the threads of one ({three} and {single} threads)")
        check.that([stop(many), stop(one)] == [0, 0], "both exit 0")
        check.that(summary(scratch, many)["delivered"] == 300, "300 delivered by the runner of three")
    check.exit()


main()
