#!/usr/bin/env python3
"""Where a paced run's latency tail comes from, from plugin-bench --trace.

    latency_episodes.py TRACE [--threshold-us 2000]

TRACE has a line per record: its submit time (microseconds from the start of
the timed run) and its latency (submit -> completion, microseconds). Prints
one JSON object:

- records, over_threshold (records later than the threshold) and their share;
- episodes: runs of 1 ms windows (by submit time) holding a late record,
  merged when at most 2 ms apart; their count, the longest, and the share of
  the run they cover;
- within the episodes, records arriving and completing per ms: a backlog
  grows while fewer complete than arrive;
- peak_completions_per_ms: the most records completed in any 1 ms window of
  the run, i.e. what the plugin and the endpoint did manage when it drained.

When the completions in the episodes fall far below that peak, the system's
capacity itself dropped for those milliseconds (CPU taken from the threads),
rather than the records arriving faster than it can go.
"""
import argparse
import collections
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--threshold-us", type=int, default=2000)
    args = parser.parse_args()

    records = []
    with open(args.trace) as lines:
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if len(fields) != 2:
                sys.exit(f"{args.trace}:{number}: expected 'submit_us latency_us', got {line.strip()!r}")
            records.append((int(fields[0]), int(fields[1])))
    if not records:
        sys.exit(f"{args.trace}: no records")

    arrivals = collections.Counter(submit // 1000 for submit, _ in records)
    completions = collections.Counter((submit + latency) // 1000 for submit, latency in records)
    late_windows = sorted({submit // 1000 for submit, latency in records if latency > args.threshold_us})

    episodes = []  # [first window, last window]
    for window in late_windows:
        if episodes and window - episodes[-1][1] <= 2:
            episodes[-1][1] = window
        else:
            episodes.append([window, window])
    episode_ms = sum(last - first + 1 for first, last in episodes)
    arrived = sum(arrivals[w] for first, last in episodes for w in range(first, last + 1))
    completed = sum(completions[w] for first, last in episodes for w in range(first, last + 1))
    span_ms = max(submit for submit, _ in records) // 1000 + 1
    over = sum(1 for _, latency in records if latency > args.threshold_us)

    print(json.dumps({
        "records": len(records),
        "threshold_us": args.threshold_us,
        "over_threshold": over,
        "over_threshold_percent": round(100 * over / len(records), 2),
        "episodes": len(episodes),
        "longest_episode_ms": max((last - first + 1 for first, last in episodes), default=0),
        "episode_time_percent": round(100 * episode_ms / span_ms, 1),
        "arrivals_per_ms_in_episodes": round(arrived / episode_ms, 1) if episode_ms else None,
        "completions_per_ms_in_episodes": round(completed / episode_ms, 1) if episode_ms else None,
        "peak_completions_per_ms": max(completions.values()),
    }))


if __name__ == "__main__":
    main()
