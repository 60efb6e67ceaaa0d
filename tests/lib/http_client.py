"""http_client.py: one GET / from a chosen source port, as the test clients make it.

The suites steer flows by their 5-tuple, so the client binds the source port itself; the
socket is closed with a reset (SO_LINGER 0) so that no TIME_WAIT is left to block the next bind
of that port (SO_REUSEADDR allows it again at once). curl cannot do either.
"""
import socket
import struct


def backend_name(address, port, local_port):
    """The first line of the body of GET / from LOCAL_PORT: the name of the backend that answered.

    Raises OSError when the connection fails or the response is not a 200 with a body.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    host = "[%s]" % address if family == socket.AF_INET6 else address
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.settimeout(5)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", local_port))
        sock.connect((address, port))
        sock.sendall(("GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode())
        response = b""
        # Until the end, or until the body holds its first whole line: the name.
        while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1].count(b"\n"):
            data = sock.recv(4096)
            if not data:
                break
            response += data
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200") or not body:
        raise OSError("bad response %r" % response[:80])
    return body.decode(errors="replace").splitlines()[0]
