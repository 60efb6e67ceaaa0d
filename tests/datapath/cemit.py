"""cemit.py: writes Python values as C initialisers for the generated test sources."""
import ipaddress


def c_string(text):
    """A C string literal; anything but printable ASCII is written as an octal escape."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= code < 127:
            out.append(char)
        else:
            out.append("\\%03o" % (code & 0xff))
    return '"' + "".join(out) + '"'


def c_bytes(name, data):
    """A static const uint8_t array NAME holding DATA."""
    lines = []
    for start in range(0, len(data), 16):
        lines.append("\t" + " ".join("0x%02x," % byte for byte in data[start:start + 16]))
    return "static const uint8_t %s[%d] = {\n%s\n};\n" % (name, max(len(data), 1),
                                                       "\n".join(lines))


def c_address(text):
    """TEST_ADDRESS(...) of an address in the maps' form (IPv4 v4-mapped)."""
    address = ipaddress.ip_address(text)
    if address.version == 4:
        address = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + address.packed)
    return "TEST_ADDRESS(%s)" % ", ".join("0x%02x" % byte for byte in address.packed)


def c_mac(text):
    """A uint8_t[6] initialiser of a MAC written aa:bb:cc:dd:ee:ff."""
    return "{%s}" % ", ".join("0x" + byte for byte in text.split(":"))
