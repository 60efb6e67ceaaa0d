#!/usr/bin/python3
"""notify_listen.py: plays systemd's side of sd_notify for a test: logs every notification.

    notify_listen.py SOCKET_PATH LOG_FILE

Binds a datagram socket at SOCKET_PATH (what NOTIFY_SOCKET names) and appends each message it
receives to LOG_FILE as one line, its newline-separated assignments joined with " ", so a test can
wait for "READY=1" or "RELOADING=1" with grep. Runs until killed.
"""
import os
import socket
import sys


def main():
    path, log_path = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(log_path, "a", buffering=1) as log:
        log.write("LISTENING\n")
        while True:
            message = sock.recv(65536).decode(errors="replace")
            log.write(" ".join(message.split("\n")).strip() + "\n")
            log.flush()
            os.fsync(log.fileno())


if __name__ == "__main__":
    main()
