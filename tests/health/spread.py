#!/usr/bin/python3
"""spread.py: COUNT requests to a VIP from distinct source ports; says who answered how often.

    spread.py --first-port PORT --count N [--parallel P] ADDRESS [PORT]

Request i is a new TCP connection from source port PORT + i: a distinct 5-tuple each, so they
spread over the backends as clients do. P of them are in flight at once (one process: no tool
started per request). Prints one line per backend, "NAME COUNT", then "failed COUNT"; each
failure is also printed on stderr with its source port and reason.
"""
import argparse
import collections
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from http_client import backend_name  # noqa: E402 (tests/lib, found through the path above)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("address")
    parser.add_argument("port", type=int, nargs="?", default=80)
    args = parser.parse_args()
    counts = collections.Counter()
    failed = 0

    def one(i):
        return backend_name(args.address, args.port, args.first_port + i)

    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        futures = {pool.submit(one, i): i for i in range(args.count)}
        for future in concurrent.futures.as_completed(futures):
            try:
                counts[future.result()] += 1
            except OSError as error:
                failed += 1
                print("port %d: %s" % (args.first_port + futures[future], error),
                      file=sys.stderr)
    for name, count in sorted(counts.items()):
        print(name, count)
    print("failed", failed)


if __name__ == "__main__":
    main()
