#!/usr/bin/python3
"""http_get.py: GET / from a fixed source port, again and again; prints who answered each time.

    http_get.py --local-port PORT --count N ADDRESS [PORT]

Each of the N requests is a new TCP connection from the same source port (so the same 5-tuple),
closed with a reset (SO_LINGER 0) so that no TIME_WAIT is left on the client to block the next
bind of that port; curl cannot do that. Prints the first line of each response body (the
backend's name), or "FAILED <why>". Exits 1 when any request failed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from http_client import backend_name  # noqa: E402 (tests/lib, found through the path above)


def get_once(address, port, local_port):
    try:
        return backend_name(address, port, local_port)
    except OSError as error:
        return "FAILED %s" % error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local-port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("address")
    parser.add_argument("port", type=int, nargs="?", default=80)
    args = parser.parse_args()
    failed = False
    for _ in range(args.count):
        answer = get_once(args.address, args.port, args.local_port)
        failed = failed or answer.startswith("FAILED")
        print(answer, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
