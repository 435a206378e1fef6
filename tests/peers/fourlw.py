"""ZooKeeper four-letter words (also answered by zabra-node)."""
import socket


def _split(hostport):
    if isinstance(hostport, int):
        return "127.0.0.1", hostport
    host, port = str(hostport).rsplit(":", 1)
    return host, int(port)


def four_letter_raw(hostport, cmd="srvr", timeout=5.0, half_close=False):
    """The whole answer to a four-letter word as bytes, exactly as sent.
    half_close: shut down our sending side after the word (as `nc -N` does),
    so the server sees EOF.  Raises OSError when nothing answers."""
    if isinstance(cmd, str):
        cmd = cmd.encode()
    with socket.create_connection(_split(hostport), timeout=timeout) as s:
        s.sendall(cmd)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            d = s.recv(65536)
            if not d:
                break
            chunks.append(d)
    return b"".join(chunks)


def four_letter(hostport, cmd="srvr", timeout=5.0):
    """Sends a four-letter word ("srvr" or b"srvr") to host:port (or a port) and
    returns the whole answer as text.  Raises OSError when nothing answers."""
    return four_letter_raw(hostport, cmd, timeout).decode("utf-8", "replace")


def parse_srvr(text):
    """srvr's "Key: value" lines as a dict ({} for "not currently serving")."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out if "Mode" in out else {}


def srvr(hostport, timeout=5.0):
    """srvr parsed; {} when the server answers but does not serve (yet).
    Raises OSError when nothing answers."""
    return parse_srvr(four_letter(hostport, "srvr", timeout))


def mode(hostport, timeout=2.0):
    """"standalone", "leader", "follower", "observer", or None when the server
    does not answer or does not serve (starting, looking for a leader)."""
    try:
        return srvr(hostport, timeout).get("Mode")
    except OSError:
        return None


def zxid(hostport, timeout=2.0):
    """The server's last zxid (srvr "Zxid"), or None."""
    try:
        z = srvr(hostport, timeout).get("Zxid")
    except OSError:
        return None
    return int(z, 16) if z else None
