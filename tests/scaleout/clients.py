#!/usr/bin/python3
"""clients.py: the client side of the scale-out suite: flows, long-lived streams, a request stream.

    clients.py flows ADDRESS FIRST_PORT COUNT
        one GET / from each source port FIRST_PORT.. (tests/lib/http_client.py); prints a JSON
        object {port: backend name, or null when the request failed}
    clients.py streams ADDRESS FIRST_PORT COUNT --ready FILE --result FILE [--interval S]
        COUNT connections (GET /echo of tests/lib/http_backend.py) from ports FIRST_PORT..,
        each sending a line every S seconds (0.05) and reading it back, until SIGTERM; writes
        FILE (--ready) once all are established. The result (JSON) holds, per connection, its
        backend, the lines echoed in all, the lines echoed since the last mark, the longest time
        without an echo since the last mark, and the error that ended it (null while alive).
        SIGUSR1 is a mark: the result so far goes to RESULT.N (N = 1, 2, ... the mark's number)
        and the counts since the mark start again; SIGTERM writes RESULT and exits.
    clients.py requests ADDRESS FIRST_PORT --result FILE
        GET / from ports FIRST_PORT, FIRST_PORT+1, ... one after the other (about 100 a
        second) until SIGTERM;
        writes {"requests": N, "failed": [[port, error], ...]} to FILE.

Every connection goes to port 80 of ADDRESS. The streams' stall is measured here, at the client,
from echo to echo: a connection that the network stalls (a lost segment waiting for its
retransmission) shows it as a gap, one that is reset shows an error.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import http_client  # noqa: E402

PORT = 80


class Stop(Exception):
    pass


def on_term(signum, frame):
    raise Stop()


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def flows(args):
    names = {}
    for port in range(args.first_port, args.first_port + args.count):
        try:
            names[port] = http_client.backend_name(args.address, PORT, port)
        except OSError:
            names[port] = None
    print(json.dumps(names))


def requests(args):
    failed = []
    count = 0
    port = args.first_port
    signal.signal(signal.SIGTERM, on_term)
    try:
        while True:
            try:
                http_client.backend_name(args.address, PORT, port)
            except OSError as error:
                failed.append([port, str(error)])
            count += 1
            port += 1
            time.sleep(0.01)  # about 100 a second: a steady stream, not a flood
    except Stop:
        pass
    with open(args.result, "w") as out:
        json.dump({"requests": count, "failed": failed}, out)


class Stream:
    """One long-lived connection: GET /echo, then a line out every interval, read back."""

    def __init__(self, address, local_port):
        family = family_of(address)
        host = "[%s]" % address if family == socket.AF_INET6 else address
        self.port = local_port
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A reset at the end, no TIME_WAIT holding the port for the next run.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(5)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", local_port))
        self.sock.connect((address, PORT))
        self.sock.sendall(("GET /echo HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode())
        data = b""
        while b"\r\n\r\n" not in data or b"\n" not in data.split(b"\r\n\r\n", 1)[1]:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("closed before the backend's name")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.0 200"):
            raise OSError("bad response %r" % head[:80])
        self.backend, _, self.pending = body.partition(b"\n")
        self.backend = self.backend.decode(errors="replace")
        self.sock.setblocking(False)
        self.sent = 0
        self.echoed = 0
        self.after_mark = 0
        self.last_echo = time.monotonic()
        self.max_gap = 0.0
        self.error = None

    def send(self):
        if self.error:
            return
        line = b"%d %s\n" % (self.sent, b"." * 60)
        try:
            # Small lines on an open window: the kernel takes them whole, or the connection
            # is stuck and its gap will show it.
            self.sock.send(line)
            self.sent += 1
        except BlockingIOError:
            pass
        except OSError as error:
            self.error = "send: %s" % error

    def receive(self, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as error:
            self.error = "recv: %s" % error
            return
        if not data:
            self.error = "closed by the peer"
            return
        self.pending += data
        lines = self.pending.count(b"\n")
        if lines:
            self.pending = self.pending[self.pending.rfind(b"\n") + 1:]
            self.max_gap = max(self.max_gap, now - self.last_echo)
            self.last_echo = now
            self.echoed += lines
            self.after_mark += lines

    def mark(self):
        self.after_mark = 0
        self.max_gap = 0.0

    def result(self, now):
        # A connection silent at the end has a gap still open: count it too.
        gap = max(self.max_gap, now - self.last_echo) if not self.error else self.max_gap
        return {"port": self.port, "backend": self.backend, "echoed": self.echoed,
                "after_mark": self.after_mark, "max_gap": round(gap, 3), "error": self.error}


def write_result(path, marks, conns):
    now = time.monotonic()
    with open(path + ".tmp", "w") as out:
        json.dump({"marks": marks, "connections": [c.result(now) for c in conns]}, out)
    os.rename(path + ".tmp", path)


def streams(args):
    signal.signal(signal.SIGTERM, on_term)
    conns = [Stream(args.address, args.first_port + i) for i in range(args.count)]
    marks = 0

    def on_mark(signum, frame):
        nonlocal marks
        marks += 1
        write_result("%s.%d" % (args.result, marks), marks, conns)
        for conn in conns:
            conn.mark()

    signal.signal(signal.SIGUSR1, on_mark)
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    with open(args.ready, "w") as ready:
        ready.write("%d\n" % len(conns))
    next_send = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if now >= next_send:
                for conn in conns:
                    conn.send()
                next_send += args.interval
            for key, _ in selector.select(max(0.0, next_send - time.monotonic())):
                conn = key.data
                conn.receive(time.monotonic())
                if conn.error:
                    selector.unregister(conn.sock)
    except Stop:
        pass
    write_result(args.result, marks, conns)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("flows")
    p.add_argument("address")
    p.add_argument("first_port", type=int)
    p.add_argument("count", type=int)
    p = sub.add_parser("streams")
    p.add_argument("address")
    p.add_argument("first_port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--ready", required=True)
    p.add_argument("--result", required=True)
    p.add_argument("--interval", type=float, default=0.05)
    p = sub.add_parser("requests")
    p.add_argument("address")
    p.add_argument("first_port", type=int)
    p.add_argument("--result", required=True)
    args = parser.parse_args()
    {"flows": flows, "streams": streams, "requests": requests}[args.command](args)


if __name__ == "__main__":
    main()
