#!/usr/bin/python3
"""udp_echo.py: the UDP service of a test backend: answers every datagram with its own name.

    udp_echo.py --name backend1 --port 7000 ADDRESS...

Binds ADDRESS:PORT for each address (the VIPs on lo) and answers each datagram, from the address
it was sent to, with "NAME SEQUENCE" where SEQUENCE is the first word of the request. Runs until
killed.
"""
import argparse
import selectors
import socket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, default=7000)
    parser.add_argument("addresses", nargs="+")
    options = parser.parse_args()
    selector = selectors.DefaultSelector()
    for address in options.addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((address, options.port))
        selector.register(sock, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            data, peer = key.fileobj.recvfrom(2048)
            words = data.split()
            sequence = words[0] if words else b"-"
            key.fileobj.sendto(options.name.encode() + b" " + sequence, peer)


if __name__ == "__main__":
    main()
