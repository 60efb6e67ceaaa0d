#!/usr/bin/python3
"""notify_probe.py: systemd's side of sd_notify for the daemon tests, with a probe at READY=1.

    notify_probe.py SOCKET LOG [PROBE_COMMAND]

Binds a datagram socket at SOCKET (what NOTIFY_SOCKET names) and appends every message to LOG as
one line, its assignments joined by spaces, prefixed with the sender's pid ("12345: READY=1 ...").
When a message carries READY=1 and PROBE_COMMAND is given, the sender is stopped (SIGSTOP) the
moment the message is read, PROBE_COMMAND runs through sh with its output logged as lines
"PROBE: ...", then the sender continues (SIGCONT). So what the probe sees is the state the daemon
was in when it said READY=1, not a moment later. Runs until killed.
"""
import os
import signal
import socket
import struct
import subprocess
import sys


def main():
    path, log_path = sys.argv[1], sys.argv[2]
    probe = sys.argv[3] if len(sys.argv) > 3 else None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    credentials_size = struct.calcsize("3i")
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(log, b"LISTENING\n")
    while True:
        message, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(credentials_size))
        pid = 0
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", data[:credentials_size])[0]
        assignments = message.decode(errors="replace").split("\n")
        ready = "READY=1" in assignments
        stopped = False
        if ready and probe and pid > 0:
            try:
                os.kill(pid, signal.SIGSTOP)
                stopped = True
            except ProcessLookupError:
                pass
        lines = ["%d: %s" % (pid, " ".join(assignments).strip())]
        if ready and probe:
            result = subprocess.run(["sh", "-c", probe], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            lines += ["PROBE: " + line for line in result.stdout.splitlines()]
            lines.append("PROBE-END %d" % result.returncode)
        if stopped:
            os.kill(pid, signal.SIGCONT)
        # One write, after the probe: whoever sees READY=1 in the log sees the probe too.
        os.write(log, "".join(line + "\n" for line in lines).encode())


if __name__ == "__main__":
    main()
