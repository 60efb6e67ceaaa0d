#!/usr/bin/python3
"""http_backend.py: the HTTP service of a test backend, bound to the VIPs, that says who answered.

    http_backend.py --name backend1 [--port 80] ADDRESS...

GET /                       -> "backend1\\n"
GET /bytes?count=N          -> N bytes: "backend1\\n" then filler (a large response, for PMTU)
GET /stream?seconds=S       -> 10 chunks of 1000 bytes a second for S seconds, Content-Length
                               known in advance, so a client can tell a complete download from
                               a cut one; each line is the name padded with dots to 99 bytes
GET /echo                   -> "backend1\n", then every line the client sends afterwards, sent
                               back as it arrives, until the client closes: a long-lived
                               connection whose client sends all along (through the LB)
PUT /anything               -> "backend1 LENGTH SHA256\\n" of the body received (an upload)
Every response carries "X-Backend: NAME". Each request is logged on stderr with the client's
address and port, so a test can tell which backend served which connection.
"""
import argparse
import hashlib
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CHUNK = 1000  # bytes per streamed chunk
CHUNKS_PER_SECOND = 10
STREAM_LINE = 100  # bytes per line of a streamed body


class Handler(BaseHTTPRequestHandler):
    server_version = "l3dsr-test-backend"

    def _start(self, length):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(length))
        self.send_header("X-Backend", self.server.backend_name)
        self.end_headers()

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        name = self.server.backend_name.encode() + b"\n"
        if url.path == "/":
            self._start(len(name))
            self.wfile.write(name)
        elif url.path == "/bytes":
            count = max(int(query.get("count", ["0"])[0]), len(name))
            self._start(count)
            self.wfile.write(name + b"x" * (count - len(name)))
        elif url.path == "/stream":
            chunks = int(float(query.get("seconds", ["3"])[0]) * CHUNKS_PER_SECOND)
            self._start(chunks * CHUNK)
            # Lines of 100 bytes, the name padded with dots: a body holding anything else
            # (another backend's lines, a gap) is easy to tell from a complete one.
            line = self.server.backend_name.encode().ljust(STREAM_LINE - 1, b".") + b"\n"
            chunk = line * (CHUNK // STREAM_LINE)
            for _ in range(chunks):
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(1.0 / CHUNKS_PER_SECOND)
        elif url.path == "/echo":
            # No Content-Length: HTTP/1.0, the body ends when the connection does.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("X-Backend", self.server.backend_name)
            self.end_headers()
            self.wfile.write(name)
            self.wfile.flush()
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                self.wfile.write(line)
                self.wfile.flush()
        else:
            self.send_error(404)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        digest = hashlib.sha256()
        received = 0
        while received < length:
            block = self.rfile.read(min(65536, length - received))
            if not block:
                break
            digest.update(block)
            received += len(block)
        answer = ("%s %d %s\n" % (self.server.backend_name, received,
                                   digest.hexdigest())).encode()
        self._start(len(answer))
        self.wfile.write(answer)

    def log_message(self, format, *args):
        sys.stderr.write("%s [%s]:%d %s\n" % (self.server.backend_name, self.client_address[0],
                                              self.client_address[1], format % args))
        sys.stderr.flush()


def make_server(address, port, name):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True
        request_queue_size = 128

    server = Server((address, port), Handler)
    server.backend_name = name
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    servers = [make_server(a, args.port, args.name) for a in args.addresses]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
