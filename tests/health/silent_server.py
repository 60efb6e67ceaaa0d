#!/usr/bin/python3
"""silent_server.py: accepts TCP connections and never answers: a service that hangs.

    silent_server.py --name NAME --port PORT ADDRESS...

Every connection is accepted and kept open, what it sends read and never answered, until the
peer closes it or the server is killed. A health check that waits for a response must time out against it.
"""
import argparse
import select
import socket


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", help="unused: for ps, and alike to http_backend.py")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    listeners = []
    for address in args.addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, args.port))
        listener.listen(128)
        listeners.append(listener)
    held = []
    while True:
        ready, _, _ = select.select(listeners + held, [], [])
        for sock in ready:
            if sock in listeners:
                connection, _ = sock.accept()
                held.append(connection)
            else:
                # What the peer sends is read and dropped; its close ends the connection.
                try:
                    gone = not sock.recv(4096)
                except OSError:
                    gone = True
                if gone:
                    held.remove(sock)
                    sock.close()


if __name__ == "__main__":
    main()
