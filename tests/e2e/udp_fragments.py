#!/usr/bin/python3
"""udp_fragments.py: large UDP datagrams to a VIP, and the service that checks they came intact.

    udp_fragments.py serve --name backend1 --port 7000 ADDRESS...
        For every datagram: log "SOURCE PORT LENGTH SHA256" on stdout, and answer the sender
        with "NAME LENGTH SHA256" (the answer leaves from the VIP: the DSR path).
    udp_fragments.py send --first-port P ADDRESS PORT SIZE...
        One datagram of each SIZE, each from its own source port (P, P+1, ...), filled with
        random bytes; waits for each answer. Prints one line per datagram:
        "ok SIZE BACKEND" when the answer's length and digest match what was sent, else
        "bad SIZE WHY". Exits 0 only when every datagram came back intact.
Datagrams larger than the path MTU leave the client as IP fragments (IPv4: DF is not set on
them; IPv6: the sender fragments), which is what the load balancer must keep together.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(args):
    def loop(sock):
        while True:
            data, peer = sock.recvfrom(65535)
            digest = hashlib.sha256(data).hexdigest()
            print("%s %d %d %s" % (peer[0], peer[1], len(data), digest), flush=True)
            sock.sendto(("%s %d %s" % (args.name, len(data), digest)).encode(), peer)

    threads = []
    for address in args.addresses:
        sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind((address, args.port))
        threads.append(threading.Thread(target=loop, args=(sock,), daemon=True))
    for thread in threads:
        thread.start()
    print("listening", flush=True)
    for thread in threads:
        thread.join()


def send(args):
    failures = 0
    for index, size in enumerate(args.sizes):
        payload = os.urandom(size)
        digest = hashlib.sha256(payload).hexdigest()
        sock = socket.socket(family_of(args.address), socket.SOCK_DGRAM)
        sock.bind(("::" if ":" in args.address else "0.0.0.0", args.first_port + index))
        sock.settimeout(args.timeout)
        answer = None
        for _ in range(args.attempts):
            sock.sendto(payload, (args.address, args.port))
            try:
                answer = sock.recv(4096).decode(errors="replace").split()
                break
            except socket.timeout:
                continue
        sock.close()
        if answer is None:
            print("bad %d no answer" % size)
            failures += 1
        elif len(answer) != 3 or answer[1] != str(size) or answer[2] != digest:
            print("bad %d answer %r" % (size, " ".join(answer)))
            failures += 1
        else:
            print("ok %d %s" % (size, answer[0]))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--name", required=True)
    server.add_argument("--port", type=int, required=True)
    server.add_argument("addresses", nargs="+")
    client = sub.add_parser("send")
    client.add_argument("--first-port", type=int, required=True)
    client.add_argument("--timeout", type=float, default=2.0)
    client.add_argument("--attempts", type=int, default=1)
    client.add_argument("address")
    client.add_argument("port", type=int)
    client.add_argument("sizes", type=int, nargs="+")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args)
        return 0
    return send(args)


if __name__ == "__main__":
    sys.exit(main())
