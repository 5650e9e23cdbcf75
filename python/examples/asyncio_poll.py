"""An asyncio program hosting the webhook step on its own event loop: with
host_io=True the step starts no thread; its I/O (sends, responses, retries)
and its completions run inside step.poll(), called here between awaits, on
the loop's thread. Each record's Future is awaited as an asyncio future.

    python3 asyncio_poll.py [MODULE] ENDPOINT      (MODULE: the installed one when left out)"""
import asyncio
import sys

import output_step


async def poll_forever(step):
    while True:
        step.poll(0)               # what is ready, without blocking the loop
        await asyncio.sleep(0.001)


async def submit(step, record):
    while True:
        try:
            return step.submit(record, timeout=0)[0]
        except output_step.BusyError:  # max_in_flight reached: let poll make room
            await asyncio.sleep(0.001)


async def main(module, endpoint, count=100):
    config = {"auth": {"type": "td_webhook_out", "url_prefix": endpoint + "/", "api_key": "example-key"},
              "activation": {"name": "asyncio", "url": endpoint + "/asyncio/{{profile.id}}",
                             "body": "{\"event\": \"{{event.name}}\"}"},
              "delivery": {"max_in_flight": 16}}
    with output_step.OutputStep(module, config, host_io=True) as step:
        poller = asyncio.create_task(poll_forever(step))
        futures = [await submit(step, {"event_id": f"a{i}", "profile": {"id": f"p{i}"}, "event": {"name": "signup"}})
                   for i in range(count)]
        completions = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        poller.cancel()
    delivered = sum(c.delivered for c in completions)
    print(f"delivered {delivered} of {count}")
    return 0 if delivered == count else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    module, endpoint = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    sys.exit(asyncio.run(main(module, endpoint)))
