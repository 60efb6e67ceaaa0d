#!/usr/bin/python3
"""http_get.py: GET / from a fixed source port, again and again; prints who answered each time.

    http_get.py --local-port PORT --count N ADDRESS [PORT]

Each of the N requests is a new TCP connection from the same source port (so the same 5-tuple),
closed with a reset (SO_LINGER 0) so that no TIME_WAIT is left on the client to block the next
bind of that port; curl cannot do that. Prints the first line of each response body (the
backend's name), or "FAILED <why>". Exits 1 when any request failed.
"""
import argparse
import socket
import struct
import sys


def get_once(address, port, local_port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.settimeout(5)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", local_port))
        sock.connect((address, port))
        host = "[%s]" % address if family == socket.AF_INET6 else address
        sock.sendall(("GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode())
        response = b""
        while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1].count(b"\n"):
            data = sock.recv(4096)
            if not data:
                break
            response += data
        head, _, body = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.0 200") or not body:
            return "FAILED response %r" % response[:80]
        return body.decode(errors="replace").splitlines()[0]
    except OSError as error:
        return "FAILED %s" % error
    finally:
        sock.close()


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
