#!/usr/bin/python3
"""udp_stream.py: a continuous stream of UDP requests to a VIP, each answered or counted lost.

    udp_stream.py ADDRESS PORT LOG STOP_FILE [--first-port N] [--ports N] [--timeout S]
                  [--count N]

Sends one request at a time, each from the next source port of FIRST_PORT .. FIRST_PORT+PORTS-1
(so the requests are many different flows), and waits up to TIMEOUT seconds for the answer. A
request not answered in time is lost: never retried. Each request appends one line to LOG:
"SEQUENCE SOURCE_PORT BACKEND" (BACKEND "LOST" when unanswered), so a test can split the stream
at the moments it changed something. Stops when STOP_FILE exists (or after COUNT requests),
then prints "sent N answered N lost N" and exits 0.
"""
import argparse
import os
import socket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("stop_file")
    parser.add_argument("--first-port", type=int, default=20000)
    parser.add_argument("--ports", type=int, default=20000)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--count", type=int, default=0, help="stop after this many; 0: never")
    options = parser.parse_args()
    family = socket.AF_INET6 if ":" in options.address else socket.AF_INET
    # The source ports wrap around before 65535.
    ports = max(1, min(options.ports, 65536 - options.first_port))
    sent = answered = 0
    with open(options.log, "a", buffering=1) as log:
        while not os.path.exists(options.stop_file) and not (options.count and
                                                               sent >= options.count):
            source_port = options.first_port + sent % ports
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("", source_port))
            sock.settimeout(options.timeout)
            sequence = str(sent).encode()
            sock.sendto(sequence + b" request", (options.address, options.port))
            backend = "LOST"
            try:
                while True:
                    data = sock.recv(2048).split()
                    # An answer to an earlier, timed-out request is not this one's.
                    if len(data) == 2 and data[1] == sequence:
                        backend = data[0].decode()
                        break
            except socket.timeout:
                pass
            sock.close()
            sent += 1
            answered += backend != "LOST"
            log.write("%d %d %s\n" % (sent - 1, source_port, backend))
    print("sent %d answered %d lost %d" % (sent, answered, sent - answered))


if __name__ == "__main__":
    main()
